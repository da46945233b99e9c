package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breachwire/breachwire/extract"
	"github.com/breachwire/breachwire/store"
)

func TestReclusterCommand(t *testing.T) {
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
		{"default", []string{"recluster", "--db", dbPath}, 0, "reclustered 2 articles"},
		{"window days", []string{"recluster", "--db", dbPath, "--window", "3d"}, 0, "reclustered 2 articles"},
		{"window duration", []string{"recluster", "--db", dbPath, "--window", "36h"}, 0, "reclustered 2 articles"},
		{"bad window", []string{"recluster", "--db", dbPath, "--window", "soon"}, 2, `--window: "soon" is not a span`},
		{"zero window", []string{"recluster", "--db", dbPath, "--window", "0d"}, 2, "is not a span"},
		{"stray argument", []string{"recluster", "--db", dbPath, "extra"}, 2, "takes no arguments"},
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
		})
	}
}
