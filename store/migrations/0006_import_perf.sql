-- Faster writes (store/cluster.go, README "Performance").

-- Articles enter the full-text index once per write transaction, in one
-- statement just before it commits (clusterTx.finish), rather than by a
-- trigger per row: FTS5 then flushes its pending terms once per batch
-- instead of once per article. Updates and deletes keep their triggers.
DROP TRIGGER IF EXISTS articles_fts_insert;

-- Document frequencies of the clusterer's words, keyed by the word's 32-bit
-- hash (as in story_terms): how many reports contain the word. Derived from
-- articles and kept up to date by every write; loading it replaces reading
-- the full-text vocabulary (articles_fts_vocab), which took a second per
-- process on a 100,000-article database.
CREATE TABLE term_df (
    term INTEGER PRIMARY KEY,
    df   INTEGER NOT NULL
);
