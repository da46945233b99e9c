package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/breachwire/breachwire/extract"
	"github.com/breachwire/breachwire/store"
)

// openTest opens a fresh database file in a temporary directory.
func openTest(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestOpenMigratesAndReopens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "b.db")
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil || v < 1 {
		t.Fatalf("SchemaVersion = %d, %v; want >= 1", v, err)
	}
	db.Close()
	db, err = store.Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	db.Close()
}

// TestFTSHashSize: FTS5 must buffer a whole import transaction's terms
// before writing a segment (migration 0009); with its 1 MB default a
// large import spends most of a second re-merging small segments.
func TestFTSHashSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var got int64
	if err := raw.QueryRowContext(ctx, "SELECT v FROM articles_fts_config WHERE k = 'hashsize'").Scan(&got); err != nil {
		t.Fatalf("read hashsize: %v", err)
	}
	if want := int64(16 << 20); got != want {
		t.Errorf("articles_fts hashsize = %d, want %d", got, want)
	}
}

func TestAddArticleSameCanonicalURLOnce(t *testing.T) {
	db := openTest(t)
	ctx := context.Background()
	a := extract.Text("https://example.com/nec-attack?utm_source=x#top", "NEC hit", "NEC said 27,445 files were accessed.")
	r1, err := db.AddArticle(ctx, 0, &a)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Status != store.Added || r1.StoryID == 0 {
		t.Fatalf("first add = %+v; want added with a story", r1)
	}
	b := extract.Text("https://EXAMPLE.com/nec-attack", "NEC hit", "NEC said 27,445 files were accessed.")
	r2, err := db.AddArticle(ctx, 0, &b)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Status != store.Existing || r2.ArticleID != r1.ArticleID {
		t.Fatalf("second add = %+v; want existing article %d", r2, r1.ArticleID)
	}
}
