package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/breachwire/breachwire/store"
)

// Copy detection places a report the same whether its candidates are
// cached (one open database) or read back from the database (reopened
// before every report, so nothing is cached: links and texts come from
// the batched reads of findCopy).
func TestCopyDetectionColdMatchesCached(t *testing.T) {
	ctx := context.Background()
	for _, name := range trapFiles {
		t.Run(name, func(t *testing.T) {
			lines := loadTrap(t, name)
			order := make([]int, len(lines))
			for i := range order {
				order[i] = i
			}
			warm := addAll(t, openTest(t), lines, order)
			path := filepath.Join(t.TempDir(), "cold.db")
			for i := range lines {
				db, err := store.Open(ctx, path)
				if err != nil {
					t.Fatal(err)
				}
				a := lines[i].Article
				got, err := db.AddArticle(ctx, 0, &a)
				db.Close()
				if err != nil {
					t.Fatalf("AddArticle %s: %v", a.URL, err)
				}
				if got != warm[i] {
					t.Errorf("%s: reopened %+v, cached %+v", a.URL, got, warm[i])
				}
			}
		})
	}
}
