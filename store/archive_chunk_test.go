package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// An import decides each batch a chunk at a time within one transaction
// (importChunk). Whatever the batch and chunk sizes, it must store what an
// import of one article per transaction stores: the same stories, copies
// and story fields, with copies and follow-ups falling across chunk and
// batch boundaries.
func TestImportChunksMatchOneByOne(t *testing.T) {
	archive := chunkArchive(t)
	defer func(n int) { importChunk = n }(importChunk)
	var want string
	for _, c := range []struct{ batch, chunk int }{{1, 1}, {10, 4}, {7, 7}, {1000, 3}, {1000, 1000}} {
		t.Run(fmt.Sprintf("batch %d chunk %d", c.batch, c.chunk), func(t *testing.T) {
			importChunk = c.chunk
			ctx := context.Background()
			db, err := Open(ctx, filepath.Join(t.TempDir(), "chunks.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			stats, err := db.ImportJSONL(ctx, bytes.NewReader(archive), ImportOptions{BatchSize: c.batch, Workers: 2})
			if err != nil {
				t.Fatalf("ImportJSONL: %v", err)
			}
			if stats.Rejected != 0 || stats.Duplicates == 0 {
				t.Fatalf("stats = %+v, want no rejects and some duplicates", stats)
			}
			got := groupingDump(t, db)
			if want == "" {
				want = got
				return
			}
			if got != want {
				t.Errorf("grouping differs from one article per transaction:\ngot:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// chunkArchive is an import archive of the testdata/cluster fixtures, each
// also run by two other sites (copies).
func chunkArchive(t *testing.T) []byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "cluster", "*.jsonl"))
	if err != nil || len(names) == 0 {
		t.Fatalf("fixtures: %v (%d files)", err, len(names))
	}
	type article struct {
		URL       string `json:"url"`
		Title     string `json:"title"`
		Published string `json:"published"`
		Site      string `json:"site"`
		Text      string `json:"text"`
	}
	var originals []article
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var l struct{ Article article }
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if !slices.ContainsFunc(originals, func(a article) bool { return a.URL == l.Article.URL }) {
				originals = append(originals, l.Article)
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, mirror := range []string{"", "mirror-a.example", "mirror-b.example"} {
		for _, a := range originals {
			if mirror != "" {
				a.URL = "https://" + mirror + "/" + strings.TrimPrefix(a.URL, "https://")
				a.Site = mirror
			}
			if err := enc.Encode(a); err != nil {
				t.Fatal(err)
			}
		}
	}
	return buf.Bytes()
}

// groupingDump describes what an import stored, by URL: each article's
// story (named by its first URL) and original, then each story's fields.
func groupingDump(t *testing.T, db *DB) string {
	t.Helper()
	var b strings.Builder
	rows, err := db.read.Query(`SELECT a.url,
		(SELECT min(s.url) FROM articles s WHERE s.story_id = a.story_id),
		coalesce((SELECT d.url FROM articles d WHERE d.id = a.duplicate_of), '')
		FROM articles a ORDER BY a.url`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var url, story, dup string
		if err := rows.Scan(&url, &story, &dup); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, url, story, dup)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows, err = db.read.Query(`SELECT (SELECT min(a.url) FROM articles a WHERE a.story_id = s.id) AS k,
		title, first_seen, last_seen, primary_company, coalesce(files, -1), relevance, article_count, site_count
		FROM stories s ORDER BY k`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k, title, first, last, primary string
		var files, articles, sites int64
		var relevance float64
		if err := rows.Scan(&k, &title, &first, &last, &primary, &files, &relevance, &articles, &sites); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(&b, k, title, first, last, primary, files, relevance, articles, sites)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Cancelled while a batch is being decided chunk by chunk, an import keeps
// exactly the batches it committed, and says so.
func TestImportChunksCancelKeepsCommitted(t *testing.T) {
	defer func(n int) { importChunk = n }(importChunk)
	importChunk = 7
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "cancel.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var buf bytes.Buffer
	for i := range 1000 {
		fmt.Fprintf(&buf, `{"url":"https://example.org/%d","title":"Report %d","text":"Text of report number %d."}`+"\n", i, i, i)
	}
	half := buf.Len() / 2
	r := readerFunc(func(p []byte) (int, error) {
		if half <= 0 {
			cancel()
			return 0, io.EOF
		}
		p = p[:min(len(p), half, 512)]
		n, err := buf.Read(p)
		half -= n
		return n, err
	})
	stats, err := db.ImportJSONL(ctx, r, ImportOptions{BatchSize: 50})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ImportJSONL error = %v, want context.Canceled", err)
	}
	var stored int
	if err := db.read.QueryRow("SELECT count(*) FROM articles").Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != stats.Added || stats.Added%50 != 0 || stats.Lines != stats.Added {
		t.Errorf("stats = %+v with %d articles stored; want whole batches of 50, all counted", stats, stored)
	}
}

type readerFunc func(p []byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
