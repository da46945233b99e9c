package fetch

import (
	"strings"
	"testing"
	"time"
)

func TestAdaptiveInterval(t *testing.T) {
	at := func(gaps ...time.Duration) []Item {
		now := time.Date(2020, 1, 31, 12, 0, 0, 0, time.UTC)
		items := []Item{{Published: now}}
		for _, g := range gaps {
			now = now.Add(-g)
			items = append(items, Item{Published: now})
		}
		return items
	}
	tests := []struct {
		name  string
		items []Item
		want  time.Duration
	}{
		{"hourly", at(time.Hour, time.Hour, time.Hour), time.Hour},
		{"median, not mean", at(time.Minute, 2*time.Hour, 2*time.Hour, 2*time.Hour, 30*24*time.Hour), 2 * time.Hour},
		{"busy feed clamped to 10 minutes", at(time.Minute, time.Minute, time.Minute), MinInterval},
		{"quiet feed clamped to 24 hours", at(72*time.Hour, 72*time.Hour), MaxInterval},
		{"undated", []Item{{}, {}}, DefaultInterval},
		{"one item", at(), DefaultInterval},
	}
	for _, tt := range tests {
		if got := adaptiveInterval(tt.items); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestJitterStaysWithinTenPercent(t *testing.T) {
	for range 1000 {
		if got := jitter(time.Hour); got < 54*time.Minute || got > 66*time.Minute {
			t.Fatalf("jitter(1h) = %v, want within ±10%%", got)
		}
	}
}

func TestHeadline(t *testing.T) {
	long := strings.Repeat("word ", 40)
	tests := []struct{ in, want string }{
		{"Short first line\n\nSecond paragraph.", "Short first line"},
		{"", ""},
		{long, strings.TrimSpace(strings.Repeat("word ", 20)) + "…"},
	}
	for _, tt := range tests {
		if got := headline(tt.in); got != tt.want {
			t.Errorf("headline(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
