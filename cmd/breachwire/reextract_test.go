package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachwire/breachwire/extract"
	"github.com/breachwire/breachwire/store"
)

func TestReextractCommand(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "r.db")
	db, err := store.Open(context.Background(), dbPath)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range []string{
		"NEC Corp. said unauthorized access to 27,445 files had been confirmed, some tied to the Defense Ministry.",
		"Saab received an order for four Gripen fighters.",
	} {
		a := &extract.Article{URL: "https://example.com/" + string(rune('a'+i)), Title: "t", Text: text}
		if _, err := db.AddArticle(context.Background(), 0, a); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string // in stdout, or in stderr for failures
	}{
		{"text", []string{"reextract", "--db", dbPath}, 0, "re-extracted 2 articles: 1 relevant; 2 stories refreshed"},
		{"json", []string{"reextract", "--db", dbPath, "--format", "json", "--batch", "1"}, 0, `"articles": 2`},
		{"bad batch", []string{"reextract", "--db", dbPath, "--batch", "0"}, 2, "--batch must be at least 1"},
		{"bad format", []string{"reextract", "--db", dbPath, "--format", "csv"}, 2, `--format "csv"`},
		{"stray argument", []string{"reextract", "--db", dbPath, "extra"}, 2, "takes no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", tt.args...)
			if code != tt.wantCode {
				t.Fatalf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			out := stdout
			if code != 0 {
				out = stderr
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("output %q, want it to contain %q", out, tt.want)
			}
			if tt.name == "json" {
				var stats store.ReextractStats
				if err := json.Unmarshal([]byte(stdout), &stats); err != nil || stats.Articles != 2 || stats.Relevant != 1 {
					t.Errorf("json = %q (%v), want 2 articles, 1 relevant", stdout, err)
				}
			}
		})
	}
}
