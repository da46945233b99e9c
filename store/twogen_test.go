package store

import (
	"maps"
	"testing"
)

func TestTwoGen(t *testing.T) {
	var g twoGen[int, string]
	const bound = 2
	g.put(1, "a", bound)
	g.put(2, "b", bound)
	g.put(3, "c", bound) // turnover: {1, 2} become old
	if v, ok := g.peek(1); !ok || v != "a" {
		t.Fatalf("peek(1) = %q, %v; want a, true", v, ok)
	}
	if _, ok := g.young[1]; ok {
		t.Fatal("peek moved 1 to the young generation")
	}
	if v, ok := g.get(2, bound); !ok || v != "b" {
		t.Fatalf("get(2) = %q, %v; want b, true", v, ok)
	}
	// 2 was copied to the young generation {3, 2}; the next put turns over
	// again: {3, 2} old, 1 dropped.
	g.put(4, "d", bound)
	for k, want := range map[int]bool{1: false, 2: true, 3: true, 4: true} {
		if _, ok := g.peek(k); ok != want {
			t.Errorf("after two turnovers: peek(%d) found = %v, want %v", k, ok, want)
		}
	}
	g.remove(3)
	got := map[int]string{}
	g.each(func(k int, v string) { got[k] = v })
	if want := map[int]string{2: "b", 4: "d"}; !maps.Equal(got, want) {
		t.Errorf("each = %v, want %v", got, want)
	}
	g.reset()
	if _, ok := g.get(4, bound); ok {
		t.Error("reset kept 4")
	}
}
