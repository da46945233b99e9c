package main

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/breachwire/breachwire/extract"
	"github.com/breachwire/breachwire/store"
)

// update rewrites golden files under testdata/ from the current output:
// go test ./cmd/breachwire -run Golden -update
var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// corpusDB returns the path of a database holding testdata/corpus.json,
// stored through AddArticle. The reports have fixed dates and are separate
// incidents, so the output does not depend on the clock or on clustering.
func corpusDB(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/corpus.json")
	if err != nil {
		t.Fatal(err)
	}
	var articles []extract.Article
	if err := json.Unmarshal(data, &articles); err != nil {
		t.Fatalf("testdata/corpus.json: %v", err)
	}
	path := filepath.Join(t.TempDir(), "corpus.db")
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, a := range articles {
		if _, err := db.AddArticle(context.Background(), 0, &a); err != nil {
			t.Fatalf("AddArticle %s: %v", a.URL, err)
		}
	}
	return path
}

func TestQueryCommandsGolden(t *testing.T) {
	dbPath := corpusDB(t)
	tests := []struct {
		golden string
		args   []string
	}{
		{"search.txt", []string{"search", "cyberattack OR ransomware"}},
		{"search.json", []string{"search", "--format", "json", "27,445 files"}},
		{"search.csv", []string{"search", "--format", "csv", "--all", "files"}},
		{"search-filtered.txt", []string{"search", "--company", "nec", "--since", "2020-02-01", "attack"}},
		{"stories.txt", []string{"stories"}},
		{"stories-all.txt", []string{"stories", "--all"}},
		{"stories.json", []string{"stories", "--format", "json", "--min-files", "1000"}},
		{"stories.csv", []string{"stories", "--format", "csv", "--agency", "Ministry of Defense (Japan)"}},
		{"show.txt", []string{"show", "1"}},
		{"show.json", []string{"show", "--format", "json", "1"}},
		{"export.jsonl", []string{"export"}},
		{"export.csv", []string{"export", "--format", "csv"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", append(tt.args, "--db", dbPath)...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q; want 0 and nothing", code, stderr)
			}
			checkGolden(t, tt.golden, stdout)
		})
	}
}

// TestSearchWindowNotice lowers store.SearchRankMax to 1 so that the
// corpus's two relevant NEC reports (1, NEC in its title, and 3, the
// newer, NEC in its text) overflow it: search ranks only report 3 and
// says so on stderr, in every format, while stdout stays what it was.
func TestSearchWindowNotice(t *testing.T) {
	saved := store.SearchRankMax
	t.Cleanup(func() { store.SearchRankMax = saved })
	store.SearchRankMax = 1
	dbPath := corpusDB(t)
	const notice = "search: more than 1 matches; ranked the 1 newest (--rank-all ranks every match, slower; --since/--until narrow by date)\n"
	tests := []struct {
		name       string
		args       []string
		wantIDs    []int64 // json only
		wantStdout string  // table and csv: a line the output must hold
		wantNotice bool
	}{
		{"window cut", []string{"--format", "json", "--limit", "1", "NEC"}, []int64{3}, "", true},
		{"rank all", []string{"--format", "json", "--limit", "1", "--rank-all", "NEC"}, []int64{1}, "", false},
		{"limit above the window", []string{"--format", "json", "--limit", "2", "NEC"}, []int64{1, 3}, "", false},
		{"one match", []string{"--format", "json", "--limit", "1", "27,445"}, []int64{1}, "", false},
		{"table", []string{"--limit", "1", "NEC"}, nil, "3        3      2020-06-03  Defense News", true},
		{"csv", []string{"--format", "csv", "--limit", "1", "NEC"}, nil, "\n3,3,https://", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", append(append([]string{"search"}, tt.args...), "--db", dbPath)...)
			if code != 0 {
				t.Fatalf("exit %d, stderr %q; want 0", code, stderr)
			}
			want := ""
			if tt.wantNotice {
				want = notice
			}
			if stderr != want {
				t.Errorf("stderr %q, want %q", stderr, want)
			}
			if strings.Contains(stdout, "newest") {
				t.Errorf("stdout has the notice:\n%s", stdout)
			}
			if tt.wantIDs == nil {
				if !strings.Contains(stdout, tt.wantStdout) {
					t.Errorf("stdout:\n%s\nwant it to hold %q", stdout, tt.wantStdout)
				}
				return
			}
			// Still a bare array of the documented objects.
			var raws []map[string]json.RawMessage
			if err := json.Unmarshal([]byte(stdout), &raws); err != nil {
				t.Fatalf("stdout is not a JSON array: %v\n%s", err, stdout)
			}
			var got []int64
			for _, raw := range raws {
				var keys []string
				for k := range raw {
					keys = append(keys, k)
				}
				slices.Sort(keys)
				if want := []string{"article_id", "published", "score", "site", "snippet", "story_id", "title", "url"}; !slices.Equal(keys, want) {
					t.Errorf("result keys %v, want %v", keys, want)
				}
				var id int64
				if err := json.Unmarshal(raw["article_id"], &id); err != nil {
					t.Fatal(err)
				}
				got = append(got, id)
			}
			if !slices.Equal(got, tt.wantIDs) {
				t.Errorf("articles %v, want %v", got, tt.wantIDs)
			}
		})
	}
}

func TestImportCommand(t *testing.T) {
	fixture, err := os.ReadFile("testdata/import.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{"file", "stdin"} {
		t.Run(from, func(t *testing.T) {
			dbPath := filepath.Join(t.TempDir(), "import.db")
			args := []string{"import", "--db", dbPath, "testdata/import.jsonl"}
			stdin := ""
			if from == "stdin" {
				args[len(args)-1] = "-"
				stdin = string(fixture)
			}
			code, stdout, stderr := runCLI(t, stdin, args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr %q; want 0", code, stderr)
			}
			checkGolden(t, "import.out", stdout)
			checkGolden(t, "import.err", stderr)

			// Importing again adds nothing.
			_, stdout, _ = runCLI(t, stdin, args...)
			if want := "imported 8 lines: 0 added, 0 duplicates, 3 already stored, 5 rejected\n"; stdout != want {
				t.Errorf("second import said %q, want %q", stdout, want)
			}
		})
	}
}

func TestQueryCommandErrors(t *testing.T) {
	dbPath := corpusDB(t)
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"malformed query", []string{"search", "AND OR ("}, 2, `query "AND OR (": AND needs a word before it; write words`},
		{"unclosed quote", []string{"search", `"NEC files`}, 2, "a quote is not closed"},
		{"no query", []string{"search"}, 2, "search needs a QUERY"},
		{"bad search format", []string{"search", "--format", "xml", "NEC"}, 2, `--format "xml" is not one of table, json, csv`},
		{"bad since", []string{"stories", "--since", "soon"}, 2, `--since: "soon" is not a date`},
		{"stories argument", []string{"stories", "12"}, 2, "breachwire show STORY_ID"},
		{"show without id", []string{"show"}, 2, "show takes one STORY_ID"},
		{"show bad id", []string{"show", "twelve"}, 2, `STORY_ID "twelve" is not a story number`},
		{"show missing", []string{"show", "99"}, 1, "story 99 not found"},
		{"show csv", []string{"show", "--format", "csv", "1"}, 2, "is not one of table, json"},
		{"export format", []string{"export", "--format", "json"}, 2, "is not one of jsonl, csv"},
		{"import no file", []string{"import"}, 2, "import takes one FILE.jsonl"},
		{"import missing file", []string{"import", "/nonexistent/archive.jsonl"}, 1, "cannot read the archive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", append(tt.args, "--db", dbPath)...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr %q, want it to contain %q", stderr, tt.wantErr)
			}
			if n := strings.Count(strings.TrimSuffix(stderr, "\n"), "\n"); n != 0 || strings.Contains(stderr, "fts5") {
				t.Errorf("stderr %q, want one line in plain words", stderr)
			}
		})
	}
}
