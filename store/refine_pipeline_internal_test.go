package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The refinement at the end of an import groups the next part while it
// rebuilds the last (refinePipelined). Split into many small parts, it
// must store what the one-part-at-a-time loop stores.
func TestRefinePipelinedMatchesSequential(t *testing.T) {
	archives := map[string][]byte{"fixtures": chunkArchive(t)}
	if ecb, err := os.ReadFile("../../shared/bench/clusters/ecbplus-dev.jsonl"); err == nil {
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
	} else {
		t.Log("ECB+ absent (../shared/bench); comparing on the fixtures alone")
	}
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
