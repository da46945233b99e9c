package store

import (
	"context"
	"errors"
	"testing"
)

func TestQuietContext(t *testing.T) {
	type key struct{}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	q, err := quiet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if q.Done() != nil {
		t.Error("quiet context can be done: the driver would watch it")
	}
	if q.Value(key{}) != "v" {
		t.Error("quiet context lost a value")
	}
	cancel()
	if _, err := quiet(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("quiet(canceled) = %v, want context.Canceled", err)
	}
}

// A clustering transaction whose context ends stops at its next statement
// and writes nothing.
func TestClusterTxStopsWhenCanceled(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, t.TempDir()+"/q.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cctx, cancel := context.WithCancel(ctx)
	err = db.inClusterTx(cctx, func(c *clusterTx) error {
		if _, err := c.exec(cctx, "INSERT INTO entities (kind, name) VALUES ('company', 'Before')"); err != nil {
			return err
		}
		cancel()
		_, err := c.exec(cctx, "INSERT INTO entities (kind, name) VALUES ('company', 'After')")
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("inClusterTx = %v, want context.Canceled", err)
	}
	var n int
	if err := db.read.QueryRowContext(ctx, "SELECT count(*) FROM entities").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d entities written by a canceled transaction", n)
	}
}
