package extract

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// treeDepth returns the depth of the deepest node below n, without
// recursion.
func treeDepth(n *html.Node) int {
	type item struct {
		n     *html.Node
		depth int
	}
	deepest := 0
	stack := []item{{n, 0}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		deepest = max(deepest, it.depth)
		for c := it.n.FirstChild; c != nil; c = c.NextSibling {
			stack = append(stack, item{c, it.depth + 1})
		}
	}
	return deepest
}

// TestParseDepthBounded guards the goquery selectors used on parsed pages:
// cascadia matches recursively, one frame per level of the tree, so every
// tree parseHTML returns must stay shallow however deep the markup nests.
func TestParseDepthBounded(t *testing.T) {
	// The parser refuses more than 512 open elements; a few more levels
	// come from the document, html and body nodes it adds.
	const limit = 520
	tests := []struct{ name, page string }{
		{"nested divs", strings.Repeat("<div>", 5_000)},
		{"nested tables", strings.Repeat("<table><tr><td>", 5_000)},
		{"formatting elements", strings.Repeat("<b><i><u>", 5_000)},
		{"misnested formatting", strings.Repeat("<b><p>x</b>", 5_000)},
		{"nested anchors and blocks", strings.Repeat("<a><div>", 5_000)},
		{"nested svg", "<svg>" + strings.Repeat("<g>", 5_000)},
		{"nested math", "<math>" + strings.Repeat("<mrow>", 5_000)},
		{"nested lists", strings.Repeat("<ul><li>", 5_000)},
		{"nested templates", strings.Repeat("<template>", 5_000)},
		{"nested selects", strings.Repeat("<select><option>", 5_000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := parseHTML([]byte(tt.page))
			if err != nil {
				t.Fatalf("parseHTML: %v", err)
			}
			d := treeDepth(doc)
			if d > limit {
				t.Errorf("tree depth %d, want ≤ %d", d, limit)
			}
			t.Logf("tree depth %d", d)
			// The selector passes run to completion on it.
			readMeta(doc)
			FragmentText(tt.page)
		})
	}
}

// FuzzParseDepth checks that parseHTML never returns a tree deeper than the
// parser's limit allows, so recursive selector matching stays shallow.
// Seeds: testdata/fuzz/FuzzParseDepth.
func FuzzParseDepth(f *testing.F) {
	f.Add([]byte(strings.Repeat("<div>", 600)))
	f.Add([]byte(strings.Repeat("<b><p>x</b>", 600)))
	f.Add([]byte("<svg>" + strings.Repeat("<g>", 600)))
	f.Fuzz(func(t *testing.T, page []byte) {
		doc, err := parseHTML(page)
		if err != nil {
			return
		}
		if d := treeDepth(doc); d > 520 {
			t.Errorf("tree depth %d, want ≤ 520", d)
		}
	})
}
