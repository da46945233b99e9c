-- Story clustering indexes (store/cluster*.go). Everything here is derived
-- from articles and rebuilt by `breachwire recluster`; researchers need none
-- of it, but the names are documented in README.md all the same.

-- Keys under which a report's text is filed to find its copies without a
-- scan: the four 16-bit bands of articles.simhash (two texts within Hamming
-- distance 3 agree on at least one band) and hashes of its three longest
-- sentences (a copy with a dateline or a copyright line added keeps them).
-- A key is a 64-bit hash of (kind, value).
-- simhash repeats articles.simhash so that candidates are screened without
-- reading article rows.
CREATE TABLE copy_keys (
    key        INTEGER NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    simhash    INTEGER NOT NULL,
    PRIMARY KEY (key, article_id)
) WITHOUT ROWID;
CREATE INDEX copy_keys_article ON copy_keys(article_id);

-- The TF-IDF centroid of each story: the sum of its reports' unit vectors
-- (duplicate copies excluded), as (term hash uint32, weight float32) pairs,
-- little-endian, strongest terms only. rep_vec is the vector of the report
-- whose headline is the story's title (the one closest to the centroid).
CREATE TABLE story_vectors (
    story_id  INTEGER PRIMARY KEY REFERENCES stories(id) ON DELETE CASCADE,
    members   INTEGER NOT NULL DEFAULT 0,
    vec       BLOB NOT NULL,
    rep_vec   BLOB NOT NULL
);

-- Inverted index from a story's strongest centroid terms to the story:
-- the candidate stories for a new report are those sharing its terms.
CREATE TABLE story_terms (
    term     INTEGER NOT NULL,
    story_id INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    PRIMARY KEY (term, story_id)
) WITHOUT ROWID;
CREATE INDEX story_terms_story ON story_terms(story_id);

-- Distinct sites per story without reading the story's articles.
CREATE INDEX articles_story_site ON articles(story_id, site);
CREATE INDEX articles_duplicate_of ON articles(duplicate_of);

-- Document frequencies come from the full-text index itself.
CREATE VIRTUAL TABLE articles_fts_vocab USING fts5vocab(articles_fts, 'row');
