-- Digest bookkeeping beyond 0001: what a digest's selection saw, so the next
-- one knows exactly which reports are new, and a claim row so that two digest
-- runs for the same recipient list never both send.

-- Highest articles.id the digest's selection saw. Article ids only grow, so
-- the next digest's candidates are the stories with an article above it.
ALTER TABLE digests ADD COLUMN max_article_id INTEGER NOT NULL DEFAULT 0;

-- The story's exposed-files figure when sent, so an update can say it changed.
ALTER TABLE digest_items ADD COLUMN files INTEGER;

-- One row per recipient list while a digest for it is being composed and sent.
-- Taken in a write transaction before sending; deleted when the send is
-- recorded or has failed. A crashed sender's claim lapses at expires_at.
CREATE TABLE digest_claims (
    recipients TEXT PRIMARY KEY,
    token      TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
