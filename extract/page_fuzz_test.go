package extract

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzPage checks that no page, however broken, panics Page or yields an
// error of more than one line, and that what comes back is well formed.
// Seeds: testdata/fuzz/FuzzPage.
func FuzzPage(f *testing.F) {
	f.Add([]byte(`<html><head><title>T | S</title></head><body><article><p>Text, text.</p></article></body></html>`), "https://example.com/a")
	f.Fuzz(func(t *testing.T, page []byte, pageURL string) {
		a, err := Page(page, pageURL)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if !a.Published.IsZero() && a.Published.Location() != time.UTC {
			t.Errorf("published %v not in UTC", a.Published)
		}
		if strings.Contains(a.Text, "\n\n\n") || a.Text != strings.TrimSpace(a.Text) {
			t.Errorf("text not tidy paragraphs: %q", a.Text)
		}
		if utf8.Valid(page) && !utf8.ValidString(a.Text+a.Title+a.Site) {
			t.Errorf("valid UTF-8 in, invalid out: %q %q", a.Title, a.Text)
		}
	})
}

// FuzzFragmentText checks FragmentText on arbitrary feed fragments.
// Seeds: testdata/fuzz/FuzzFragmentText.
func FuzzFragmentText(f *testing.F) {
	f.Add("<p>One &amp; two</p><p>Three</p>")
	f.Fuzz(func(t *testing.T, fragment string) {
		got := FragmentText(fragment)
		if strings.Contains(got, "\n\n\n") || got != strings.TrimSpace(got) {
			t.Errorf("FragmentText(%q) = %q, not tidy paragraphs", fragment, got)
		}
	})
}
