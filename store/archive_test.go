package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/breachwire/breachwire/store"
)

func TestImportJSONL(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	f, err := os.Open("testdata/archive.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rejects := map[int]string{}
	var progress []int
	stats, err := db.ImportJSONL(ctx, f, store.ImportOptions{
		Workers:   3,
		BatchSize: 2,
		Reject:    func(line int, err error) { rejects[line] = err.Error() },
		Progress:  func(lines int) { progress = append(progress, lines) },
	})
	if err != nil {
		t.Fatalf("ImportJSONL: %v", err)
	}
	want := store.ImportStats{Lines: 10, Added: 3, Existing: 1, Rejected: 6}
	if stats != want {
		t.Errorf("stats = %+v, want %+v", stats, want)
	}
	wantRejects := map[int]string{
		2:  "not a JSON object",
		3:  `no "url"`,
		4:  `"url" "mailto:press@example.org" is not an absolute http or https URL`,
		5:  `neither "html" nor "text"`,
		6:  `"published" "last Tuesday" is not a date`,
		10: `"published" must be a string`,
	}
	for line, reason := range wantRejects {
		if got, ok := rejects[line]; !ok || !strings.Contains(got, reason) {
			t.Errorf("line %d rejected with %q, want a reason containing %q", line, got, reason)
		}
	}
	for line, reason := range rejects {
		if _, ok := wantRejects[line]; !ok {
			t.Errorf("line %d rejected (%s), want it imported", line, reason)
		}
	}
	if len(progress) == 0 || progress[len(progress)-1] != stats.Lines {
		t.Errorf("progress calls = %v, want the last to be %d", progress, stats.Lines)
	}

	got := exportAll(t, db)
	if len(got) != 3 {
		t.Fatalf("stored %d articles, want 3", len(got))
	}
	nec, reuters, kaman := got[0], got[1], got[2]
	if nec.Site != "Kyodo News" || nec.Published == nil || !nec.Published.Equal(time.Date(2020, 1, 31, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("NEC article site %q published %v, want the line's Kyodo News, 2020-01-31T09:00:00Z", nec.Site, nec.Published)
	}
	if !strings.Contains(nec.Text, "27,445 files") || !strings.Contains(nec.Text, "\n\n") {
		t.Errorf("NEC article text = %q, want both paragraphs", nec.Text)
	}
	if !strings.Contains(reuters.Text, "8,000 people") || strings.Contains(reuters.Text, "Home") {
		t.Errorf("Reuters article text = %q, want the article's paragraphs without navigation", reuters.Text)
	}
	if reuters.Title == "" || reuters.Published == nil || reuters.Published.Format(time.DateOnly) != "2020-01-20" {
		t.Errorf("Reuters article title %q published %v, want a title from the page and the line's 2020-01-20", reuters.Title, reuters.Published)
	}
	if kaman.Published == nil || !kaman.Published.Equal(time.Date(2020, 2, 3, 14, 0, 0, 0, time.UTC)) {
		t.Errorf("Kaman article published %v, want the RFC 1123 date 2020-02-03T14:00:00Z", kaman.Published)
	}
	if kaman.Site != "defensenews.com" {
		t.Errorf("Kaman article site %q, want the host defensenews.com when the line has none", kaman.Site)
	}

	// A second import of the same file stores nothing new.
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	stats, err = db.ImportJSONL(ctx, f, store.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.ImportStats{Lines: 10, Existing: 4, Rejected: 6}); stats != want {
		t.Errorf("second import stats = %+v, want %+v", stats, want)
	}
}

// exportAll returns every stored article in id order.
func exportAll(t *testing.T, db *store.DB) []store.ExportedArticle {
	t.Helper()
	var out []store.ExportedArticle
	if err := db.Export(context.Background(), func(a *store.ExportedArticle) error {
		out = append(out, *a)
		return nil
	}); err != nil {
		t.Fatalf("Export: %v", err)
	}
	return out
}

func TestImportJSONLLongLine(t *testing.T) {
	db := openTest(t)
	long := fmt.Sprintf(`{"url":"https://example.org/long","text":%q}`, strings.Repeat("word ", 1000))
	in := strings.Join([]string{
		`{"url":"https://example.org/a","text":"first"}`,
		long,
		`{"url":"https://example.org/b","text":"last"}`,
	}, "\n") // no final newline: the last line still counts
	var rejected []int
	stats, err := db.ImportJSONL(context.Background(), strings.NewReader(in), store.ImportOptions{
		MaxLineBytes: 1000,
		Reject: func(line int, err error) {
			rejected = append(rejected, line)
			if !strings.Contains(err.Error(), "longer than 1000 bytes") {
				t.Errorf("line %d: reason %q, want it to say the line is too long", line, err)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.ImportStats{Lines: 3, Added: 2, Rejected: 1}); stats != want {
		t.Errorf("stats = %+v, want %+v", stats, want)
	}
	if len(rejected) != 1 || rejected[0] != 2 {
		t.Errorf("rejected lines %v, want [2]", rejected)
	}
}

// cancelAfter cancels a context once the import has read n bytes of it.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
		return 0, io.EOF
	}
	p = p[:min(len(p), c.n, 512)]
	n, err := c.r.Read(p)
	c.n -= n
	return n, err
}

func TestImportJSONLCancelKeepsCommitted(t *testing.T) {
	db := openTest(t)
	var buf bytes.Buffer
	for i := range 1000 {
		fmt.Fprintf(&buf, `{"url":"https://example.org/%d","title":"Report %d","text":"Text of report number %d."}`+"\n", i, i, i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &cancelAfter{r: &buf, n: buf.Len() / 2, cancel: cancel}
	stats, err := db.ImportJSONL(ctx, r, store.ImportOptions{BatchSize: 50})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ImportJSONL error = %v, want context.Canceled", err)
	}
	stored := len(exportAll(t, db))
	if stored != stats.Added {
		t.Errorf("stats say %d added, database has %d articles; want them equal", stats.Added, stored)
	}
	if stats.Added%50 != 0 || stats.Lines != stats.Added {
		t.Errorf("stats = %+v, want whole batches of 50 added and counted", stats)
	}
}

type failingReader struct{ data io.Reader }

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.data.Read(p)
	if err == io.EOF {
		return n, errors.New("disk on fire")
	}
	return n, err
}

func TestImportJSONLReadError(t *testing.T) {
	db := openTest(t)
	in := failingReader{strings.NewReader(`{"url":"https://example.org/a","text":"first"}` + "\n")}
	stats, err := db.ImportJSONL(context.Background(), in, store.ImportOptions{})
	if err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("ImportJSONL error = %v, want the read error", err)
	}
	if stats.Added != 1 {
		t.Errorf("added %d, want the line read before the error stored", stats.Added)
	}
}

func TestDecodeArchiveLine(t *testing.T) {
	tests := []struct {
		name    string
		line    string
		wantErr string
		title   string
		site    string
		date    string
	}{
		{name: "text", line: `{"url":"https://Example.org/a?utm_medium=x","title":" T ","text":"Body.","site":"Example","published":"2020-01-02"}`,
			title: "T", site: "Example", date: "2020-01-02T00:00:00Z"},
		{name: "text wins over html", line: `{"url":"https://example.org/a","text":"Body.","html":"<p>Other</p>"}`, site: "example.org"},
		{name: "zone-less time is UTC", line: `{"url":"https://example.org/a","text":"B","published":"2020-01-02 03:04:05"}`, site: "example.org", date: "2020-01-02T03:04:05Z"},
		{name: "offset converted to UTC", line: `{"url":"https://example.org/a","text":"B","published":"2020-01-31T09:00:00+09:00"}`, site: "example.org", date: "2020-01-31T00:00:00Z"},
		{name: "null published", line: `{"url":"https://example.org/a","text":"B","published":null}`, site: "example.org"},
		{name: "array", line: `[1,2]`, wantErr: "the line is a JSON array"},
		{name: "two values", line: `{"url":"https://example.org/a","text":"B"} {}`, wantErr: "more than one JSON value"},
		{name: "truncated", line: `{"url":"https://example.org/a","text":"B`, wantErr: "not a JSON object"},
		{name: "blank url", line: `{"url":"  ","text":"B"}`, wantErr: `no "url"`},
		{name: "relative url", line: `{"url":"/news/1","text":"B"}`, wantErr: "not an absolute http or https URL"},
		{name: "empty text", line: `{"url":"https://example.org/a","text":"  "}`, wantErr: `neither "html" nor "text"`},
		{name: "html without text", line: `{"url":"https://example.org/a","html":"<html><script>app()</script></html>"}`, wantErr: `"html" has no article text or title`},
		{name: "text not a string", line: `{"url":"https://example.org/a","text":42}`, wantErr: `"text" must be a string, not number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := store.DecodeArchiveLine([]byte(tt.line))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("error = %v, want none", err)
			}
			if a.Title != tt.title || a.Site != tt.site {
				t.Errorf("title %q site %q, want %q and %q", a.Title, a.Site, tt.title, tt.site)
			}
			date := ""
			if !a.Published.IsZero() {
				date = a.Published.Format(time.RFC3339)
			}
			if date != tt.date {
				t.Errorf("published %q, want %q", date, tt.date)
			}
			if a.CanonicalURL == "" || a.Companies == nil {
				t.Errorf("article %+v not canonicalized and annotated", a)
			}
		})
	}
}

func FuzzDecodeArchiveLine(f *testing.F) {
	data, err := os.ReadFile("testdata/archive.jsonl")
	if err != nil {
		f.Fatal(err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		f.Add([]byte(line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		a, err := store.DecodeArchiveLine(line)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("reason %q spans lines, want one line", err)
			}
			return
		}
		if a.URL == "" || a.CanonicalURL == "" {
			t.Errorf("accepted line %q without a URL: %+v", line, a)
		}
		if a.Text == "" && a.Title == "" {
			t.Errorf("accepted line %q without text or title", line)
		}
	})
}

func TestImportJSONLMemoryBudget(t *testing.T) {
	db := openTest(t)
	var buf bytes.Buffer
	for i := range 200 {
		fmt.Fprintf(&buf, `{"url":"https://example.org/%d","title":"Report %d","text":%q}`+"\n", i, i,
			fmt.Sprintf("Report %d. ", i)+strings.Repeat("Filler words for a long report. ", 100))
	}
	// Lines of about 3 KB against a 10 KB budget: the reader must wait for
	// batches to be written, and batches must be written before they fill.
	stats, err := db.ImportJSONL(context.Background(), &buf, store.ImportOptions{MemoryBudget: 10 << 10, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if stats.Lines != 200 || stats.Added+stats.Duplicates != 200 {
		t.Errorf("stats = %+v, want 200 lines stored", stats)
	}
}
