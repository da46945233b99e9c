package store_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/breachwire/breachwire/store"
)

// ecbPath is the public ECB+ clustering benchmark (../shared/bench/README.md).
const ecbPath = "../../shared/bench/clusters/ecbplus-dev.jsonl"

// bcubed scores a predicted clustering against gold, both item -> cluster
// label, as ../shared/bench/README.md defines it.
func bcubed(gold, pred map[string]string) (p, r, f1 float64) {
	type pair struct{ k, l string }
	nkl := map[pair]float64{}
	nk := map[string]float64{}
	nl := map[string]float64{}
	for item, l := range gold {
		k := pred[item]
		nkl[pair{k, l}]++
		nk[k]++
		nl[l]++
	}
	for kl, n := range nkl {
		p += n * n / nk[kl.k]
		r += n * n / nl[kl.l]
	}
	total := float64(len(gold))
	p, r = p/total, r/total
	if p+r == 0 {
		return p, r, 0
	}
	return p, r, 2 * p * r / (p + r)
}

func TestBCubedReadmeExample(t *testing.T) {
	gold := map[string]string{"a": "1", "b": "1", "c": "1", "d": "2", "e": "2", "f": "3"}
	pred := map[string]string{"a": "x", "b": "x", "c": "y", "d": "y", "e": "y", "f": "y"}
	p, r, f1 := bcubed(gold, pred)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"P", p, 0.583333}, {"R", r, 0.777778}, {"F1", f1, 0.666667}} {
		if math.Abs(c.got-c.want) > 1e-6 {
			t.Errorf("%s = %.6f, want %.6f", c.name, c.got, c.want)
		}
	}
}

type ecbLine struct {
	ID      string  `json:"id"`
	Cluster string  `json:"cluster"`
	URL     *string `json:"url"`
	Title   string  `json:"title"`
	Text    string  `json:"text"`
}

// loadECB reads the benchmark, or skips the test when it is absent.
func loadECB(tb testing.TB) []ecbLine {
	tb.Helper()
	data, err := os.ReadFile(ecbPath)
	if os.IsNotExist(err) {
		tb.Skipf("benchmark data %s absent; see ../shared/bench/README.md", ecbPath)
	}
	if err != nil {
		tb.Fatal(err)
	}
	var lines []ecbLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var l ecbLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			tb.Fatalf("%s: %v", ecbPath, err)
		}
		lines = append(lines, l)
	}
	return lines
}

// importECB imports the lines, in the given order, through the real import
// path and returns each line's story, by line id. Each line becomes
// {"url","title","text"}; the url is made from the id because many lines
// have none.
func importECB(tb testing.TB, lines []ecbLine) map[string]string {
	tb.Helper()
	ctx := context.Background()
	path := filepath.Join(tb.TempDir(), "ecb.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for _, l := range lines {
		if err := enc.Encode(map[string]string{"url": "https://ecbplus.test/" + l.ID, "title": l.Title, "text": l.Text}); err != nil {
			tb.Fatal(err)
		}
	}
	stats, err := db.ImportJSONL(ctx, &in, store.ImportOptions{})
	if err != nil {
		tb.Fatalf("ImportJSONL: %v", err)
	}
	if stats.Rejected != 0 {
		tb.Fatalf("ImportJSONL rejected %d lines", stats.Rejected)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer raw.Close()
	checkStoriesConsistent(tb, raw)
	pred := ecbStories(tb, raw)
	if len(pred) != len(lines) {
		tb.Fatalf("imported %d articles, want %d", len(pred), len(lines))
	}
	return pred
}

// ecbStories returns each stored ECB+ line's story, by line id.
func ecbStories(tb testing.TB, raw *sql.DB) map[string]string {
	tb.Helper()
	rows, err := raw.Query("SELECT url, story_id FROM articles")
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	pred := map[string]string{}
	for rows.Next() {
		var url, story string
		if err := rows.Scan(&url, &story); err != nil {
			tb.Fatal(err)
		}
		pred[url[len("https://ecbplus.test/"):]] = story
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return pred
}

// ECB+ B-cubed F1 floors. Issue 4 sets the bar at 0.93 (a plain TF-IDF
// single pass reaches about 0.87); the single pass reaches 0.89 and the
// batch refinement at the end of an import 0.954 in both orders, with its
// parameters chosen on this file (README, Design notes).
const (
	ecbIssueBar      = 0.93
	ecbFloor         = 0.93
	ecbShuffledFloor = 0.93
)

// TestClusterECBPlus imports the ECB+ dev half through ImportJSONL and
// reports B-cubed precision, recall and F1; then, unless -short, imports it
// again shuffled to measure how far the grouping depends on import order.
func TestClusterECBPlus(t *testing.T) {
	lines := loadECB(t)
	gold := map[string]string{}
	for _, l := range lines {
		gold[l.ID] = l.Cluster
	}
	inOrder := importECB(t, lines)
	p, r, f1 := bcubed(gold, inOrder)
	t.Logf("ECB+ dev, file order: B-cubed P %.4f R %.4f F1 %.4f (%d articles)", p, r, f1, len(lines))
	if f1 < ecbIssueBar {
		t.Logf("below the issue's bar of %.2f", ecbIssueBar)
	}
	if f1 < ecbFloor {
		t.Errorf("B-cubed F1 = %.4f, want >= %.3f", f1, ecbFloor)
	}
	if testing.Short() {
		return
	}
	shuffled := append([]ecbLine(nil), lines...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	other := importECB(t, shuffled)
	_, _, f1 = bcubed(gold, other)
	_, _, agree := bcubed(inOrder, other)
	t.Logf("ECB+ dev, shuffled order: B-cubed F1 %.4f against gold, %.4f against file order", f1, agree)
	if f1 < ecbShuffledFloor {
		t.Errorf("shuffled B-cubed F1 = %.4f, want >= %.3f", f1, ecbShuffledFloor)
	}
}
