package extract

import (
	"strings"
	"testing"
)

func TestCanonicalURL(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"https://www.example.com/news/nec-attack", "https://www.example.com/news/nec-attack"},
		{"HTTPS://Example.COM:443/a?b=2&a=1#frag", "https://example.com/a?a=1&b=2"},
		{"http://example.com:80/a", "http://example.com/a"},
		{"http://example.com:8080/a", "http://example.com:8080/a"},
		{"https://example.com/a?utm_source=rss&utm_medium=feed&id=7", "https://example.com/a?id=7"},
		{"https://example.com/a?fbclid=XYZ&gclid=1", "https://example.com/a"},
		{"https://example.com/story/amp/", "https://example.com/story"},
		{"https://example.com/story/amp", "https://example.com/story"},
		{"https://example.com/amp/story/2020/nec", "https://example.com/story/2020/nec"},
		{"https://amp.example.com/story", "https://example.com/story"},
		{"https://m.example.co.jp/story", "https://example.co.jp/story"},
		{"https://example.com/story?amp=1", "https://example.com/story"},
		{"https://example.com", "https://example.com/"},
		{"https://user:pw@example.com/x", "https://example.com/x"},
		{"https://example.com/a%20b", "https://example.com/a%20b"},
		{"  https://example.com/x  ", "https://example.com/x"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := CanonicalURL(tt.in)
			if err != nil {
				t.Fatalf("CanonicalURL(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("CanonicalURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCanonicalURLRejects(t *testing.T) {
	for _, in := range []string{"", "not a url", "ftp://example.com/x", "mailto:a@b.c", "/relative/path", "https://", "javascript:alert(1)"} {
		if got, err := CanonicalURL(in); err == nil {
			t.Errorf("CanonicalURL(%q) = %q, want error", in, got)
		}
	}
}

func FuzzCanonicalURL(f *testing.F) {
	for _, s := range []string{"https://example.com/a?utm_source=x#y", "http://M.Example.com:80/amp/x/amp", "https://example.com/%zz", "https://[::1]:443/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := CanonicalURL(raw)
		if err != nil {
			return
		}
		// Canonicalization must be idempotent: the canonical form is its own canonical form.
		again, err := CanonicalURL(got)
		if err != nil {
			t.Fatalf("CanonicalURL(%q) = %q, which is rejected: %v", raw, got, err)
		}
		if again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", raw, got, again)
		}
		if strings.Contains(got, "#") {
			t.Fatalf("fragment kept: %q", got)
		}
	})
}
