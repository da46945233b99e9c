package extract

import (
	"reflect"
	"sync"
	"testing"
)

// TestAnnotateReusesBuffersSafely checks that annotators reused from the
// pool carry nothing from one article to the next: each report gives the
// same result alone, after a long article, in reverse order and from
// several goroutines at once (run with -race).
func TestAnnotateReusesBuffersSafely(t *testing.T) {
	reports := loadLabelled(t)
	run := func(r labelled) Article {
		a := Article{Title: r.title, Text: r.text, Site: r.site}
		Annotate(&a)
		return a
	}
	long := labelled{title: "Long"}
	for _, r := range reports {
		long.text += r.text + "\n\n"
	}
	want := make([]Article, len(reports))
	for i, r := range reports {
		want[i] = run(r)
	}
	check := func(t *testing.T, i int, got Article) {
		t.Helper()
		if !reflect.DeepEqual(got, want[i]) {
			t.Errorf("report %s: got %+v, want %+v", reports[i].id, got, want[i])
		}
	}
	t.Run("after a long article", func(t *testing.T) {
		for i, r := range reports {
			run(long)
			check(t, i, run(r))
		}
	})
	t.Run("reverse order", func(t *testing.T) {
		for i := len(reports) - 1; i >= 0; i-- {
			check(t, i, run(reports[i]))
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				for k := range reports {
					i := (k + g*len(reports)/4) % len(reports)
					check(t, i, run(reports[i]))
				}
			})
		}
		wg.Wait()
	})
}
