package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// testArchives are the fixtures and, when ../shared/bench is there, the
// ECB+ dev file as an import archive.
func testArchives(t *testing.T) map[string][]byte {
	t.Helper()
	archives := map[string][]byte{"fixtures": chunkArchive(t)}
	ecb, err := os.ReadFile("../../shared/bench/clusters/ecbplus-dev.jsonl")
	if err != nil {
		t.Log("ECB+ absent (../shared/bench); testing on the fixtures alone")
		return archives
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	sc := bufio.NewScanner(bytes.NewReader(ecb))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var l struct{ ID, Title, Text string }
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if err := enc.Encode(map[string]string{"url": "https://ecbplus.test/" + l.ID, "title": l.Title, "text": l.Text}); err != nil {
			t.Fatal(err)
		}
	}
	archives["ECB+"] = buf.Bytes()
	return archives
}

// The refinement at the end of an import groups the next part while it
// rebuilds the last (refinePipelined). Split into many small parts, it
// must store what the one-part-at-a-time loop stores.
func TestRefinePipelinedMatchesSequential(t *testing.T) {
	archives := testArchives(t)
	defer func(n int, p bool) { maxRefineArticles, refinePipeline = n, p }(maxRefineArticles, refinePipeline)
	maxRefineArticles = 40
	for name, archive := range archives {
		t.Run(name, func(t *testing.T) {
			var dumps [2]string
			for i, pipelined := range []bool{false, true} {
				refinePipeline = pipelined
				ctx := context.Background()
				db, err := Open(ctx, filepath.Join(t.TempDir(), "refine.db"))
				if err != nil {
					t.Fatal(err)
				}
				// Undated reports are seen when stored.
				db.SetClock(func() time.Time { return time.Date(2020, 2, 1, 0, 0, 0, 0, time.UTC) })
				if _, err := db.ImportJSONL(ctx, bytes.NewReader(archive), ImportOptions{}); err != nil {
					t.Fatalf("ImportJSONL: %v", err)
				}
				dumps[i] = groupingDump(t, db)
				db.Close()
			}
			if dumps[0] != dumps[1] {
				t.Errorf("pipelined refinement stored\n%s\nwant, as one part at a time,\n%s", dumps[1], dumps[0])
			}
		})
	}
}

// neighboursOf reads the whole term index when most stories are seeds; it
// must find what each seed's own statements find.
func TestNeighboursScanMatchesLookups(t *testing.T) {
	defer func(r int64) { neighbourScanRatio = r }(neighbourScanRatio)
	for name, archive := range testArchives(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			db, err := Open(ctx, filepath.Join(t.TempDir(), "n.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			db.SetClock(func() time.Time { return time.Date(2020, 2, 1, 0, 0, 0, 0, time.UTC) })
			if _, err := db.ImportJSONL(ctx, bytes.NewReader(archive), ImportOptions{}); err != nil {
				t.Fatalf("ImportJSONL: %v", err)
			}
			seeds, err := scanIDs(db.read.QueryContext(ctx, "SELECT id FROM stories ORDER BY id"))
			if err != nil {
				t.Fatal(err)
			}
			// A story that no longer exists has no neighbours either way.
			seeds = append(seeds, seeds[len(seeds)-1]+1000)
			for _, base := range []bool{false, true} {
				var got [2][][]int64
				for i, ratio := range []int64{0, 1 << 40} {
					neighbourScanRatio = ratio
					err := db.inClusterTx(ctx, func(c *clusterTx) error {
						if base {
							c.base = db.read
						}
						got[i], err = c.neighboursOf(ctx, seeds)
						return err
					})
					if err != nil {
						t.Fatal(err)
					}
				}
				some := 0
				for i, s := range seeds {
					if !slices.Equal(got[0][i], got[1][i]) {
						t.Errorf("base %v: story %d: neighbours from the scan %v, want %v", base, s, got[1][i], got[0][i])
					}
					some += len(got[0][i])
				}
				if some == 0 {
					t.Errorf("base %v: no story has neighbours; the archive tests nothing", base)
				}
			}
		})
	}
}
