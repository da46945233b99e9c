package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/breachwire/breachwire/extract"
)

// In a large archive SimHash bands match unrelated texts at random. Such
// band-only candidates must not use up the shingle comparisons that a real
// copy, found through an anchor sentence further away, needs: here four
// unrelated reports are filed under the new report's first band 9 bits
// away (as chance matches are), and its original under its anchor
// sentences 12 bits away (as a copy with much furniture can be).
func TestBandOnlyCandidatesLeaveComparisonsToAnchors(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "copies.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	wire := "Kaman Aerospace said on Tuesday that an intruder had copied engineering drawings from a file server used by its helicopter division. " +
		"The company said the intrusion began in early March and was found by its own security staff during a routine review of access logs. " +
		"Investigators from a private forensic firm and federal agents are examining how the attacker obtained the credentials of a contractor account. " +
		"Kaman said it had notified the Defense Department and the customers whose programmes may be affected by the theft of the drawings."
	copyText := "HARTFORD (Courant Wire) - " + wire + " Copyright 2020 Courant Wire. All rights reserved. Not for redistribution."
	add := func(url, title, text string) AddResult {
		t.Helper()
		a := &extract.Article{URL: url, Title: title, Text: text, Site: url[len("https://"):][:8],
			Published: time.Date(2020, 3, 20, 12, 0, 0, 0, time.UTC)}
		r, err := db.AddArticle(ctx, 0, a)
		if err != nil {
			t.Fatalf("AddArticle %s: %v", url, err)
		}
		return r
	}
	original := add("https://wire.exa/kaman", "Kaman says drawings stolen in cyberattack", wire)

	sh := simHashOf(shingles(wordHashes(copyText)))
	keys := copyKeys(copyText, sh)
	// flip returns sh with its lowest n bits outside the first band flipped,
	// so the result still shares the first band with sh.
	flip := func(n int) uint64 {
		return sh ^ (uint64(1)<<n-1)<<16
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.write.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("UPDATE copy_keys SET simhash = ? WHERE article_id = ?", int64(flip(12)), original.ArticleID)
	for i := range 4 {
		decoy := add(fmt.Sprintf("https://news%d.ex/plant-%d", i, i), fmt.Sprintf("Water plant %d upgrades pumps", i),
			fmt.Sprintf("The municipal water plant number %d replaced four ageing pumps this spring and expects lower power bills for the rest of the decade, its manager said at a council meeting on Monday evening.", i))
		exec("DELETE FROM copy_keys WHERE article_id = ?", decoy.ArticleID)
		exec("INSERT INTO copy_keys (key, article_id, simhash) VALUES (?, ?, ?)", keys[0], decoy.ArticleID, int64(flip(9)))
	}
	db.clu.dropCached()

	got := add("https://courant.ex/kaman-drawings", "Kaman drawings taken by hacker", copyText)
	if got.Status != Duplicate || got.StoryID != original.StoryID {
		t.Errorf("copy filed as %v in story %d, want %v of the original's story %d", got.Status, got.StoryID, Duplicate, original.StoryID)
	}
	var dupOf int64
	if err := db.read.QueryRowContext(ctx, "SELECT coalesce(duplicate_of, 0) FROM articles WHERE id = ?", got.ArticleID).Scan(&dupOf); err != nil {
		t.Fatal(err)
	}
	if dupOf != original.ArticleID {
		t.Errorf("duplicate_of = %d, want the original %d", dupOf, original.ArticleID)
	}
}
