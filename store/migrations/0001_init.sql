-- breachwire schema, version 1. Table and column names are a public contract:
-- researchers write SQL against them (README.md, "Database schema").
-- Times are RFC 3339 UTC text.

CREATE TABLE feeds (
    id                 INTEGER PRIMARY KEY,
    url                TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL DEFAULT '',
    site_url           TEXT NOT NULL DEFAULT '',
    -- 'default' (embedded list), 'user' (feeds add), 'opml' (feeds import)
    source             TEXT NOT NULL DEFAULT 'user',
    added_at           TEXT NOT NULL,
    etag               TEXT NOT NULL DEFAULT '',
    last_modified      TEXT NOT NULL DEFAULT '',
    last_poll_at       TEXT,
    last_success_at    TEXT,
    next_poll_at       TEXT,
    consecutive_errors INTEGER NOT NULL DEFAULT 0,
    error_count        INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT NOT NULL DEFAULT '',
    -- seconds between polls chosen from the feed's own publishing rate
    poll_interval      INTEGER NOT NULL DEFAULT 3600,
    items_seen         INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE stories (
    id              INTEGER PRIMARY KEY,
    title           TEXT NOT NULL DEFAULT '',
    first_seen      TEXT NOT NULL,
    last_seen       TEXT NOT NULL,
    primary_company TEXT NOT NULL DEFAULT '',
    -- largest credible exposed-files (or documents) figure of its reports
    files           INTEGER,
    relevance       REAL NOT NULL DEFAULT 0,
    article_count   INTEGER NOT NULL DEFAULT 0,
    site_count      INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX stories_last_seen ON stories(last_seen);
CREATE INDEX stories_primary_company ON stories(primary_company, last_seen);

CREATE TABLE articles (
    id            INTEGER PRIMARY KEY,
    url           TEXT NOT NULL,
    canonical_url TEXT NOT NULL UNIQUE,
    title         TEXT NOT NULL DEFAULT '',
    published     TEXT,
    site          TEXT NOT NULL DEFAULT '',
    lang          TEXT NOT NULL DEFAULT '',
    text          TEXT NOT NULL DEFAULT '',
    feed_id       INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
    -- when breachwire stored it
    added_at      TEXT NOT NULL,
    -- why the page itself could not be fetched (article built from the feed item)
    fetch_error   TEXT NOT NULL DEFAULT '',
    relevance     REAL NOT NULL DEFAULT 0,
    story_id      INTEGER REFERENCES stories(id) ON DELETE SET NULL,
    duplicate_of  INTEGER REFERENCES articles(id) ON DELETE SET NULL,
    -- 64-bit SimHash of the text's word shingles, for near-duplicate detection
    simhash       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX articles_story ON articles(story_id);
CREATE INDEX articles_published ON articles(published);
CREATE INDEX articles_feed ON articles(feed_id);

-- Companies and agencies, one row per canonical name.
CREATE TABLE entities (
    id      INTEGER PRIMARY KEY,
    kind    TEXT NOT NULL CHECK (kind IN ('company', 'agency')),
    name    TEXT NOT NULL,
    country TEXT NOT NULL DEFAULT '',
    UNIQUE (kind, name)
);

CREATE TABLE mentions (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    entity_id  INTEGER NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
    count      INTEGER NOT NULL DEFAULT 1,
    is_primary INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, entity_id)
) WITHOUT ROWID;
CREATE INDEX mentions_entity ON mentions(entity_id, article_id);

CREATE TABLE figures (
    id         INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    value      INTEGER NOT NULL,
    approx     INTEGER NOT NULL DEFAULT 0,
    text       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX figures_article ON figures(article_id);
CREATE INDEX figures_kind_value ON figures(kind, value);

CREATE TABLE digests (
    id         INTEGER PRIMARY KEY,
    -- recipients, comma-separated and sorted: "since the last digest" is per list
    recipients TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at    TEXT,
    message_id TEXT NOT NULL DEFAULT '',
    subject    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX digests_recipients ON digests(recipients, sent_at);

CREATE TABLE digest_items (
    digest_id     INTEGER NOT NULL REFERENCES digests(id) ON DELETE CASCADE,
    story_id      INTEGER NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    -- how many reports the story had when sent; a later digest shows it again
    -- as an update once it has more
    article_count INTEGER NOT NULL,
    is_update     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (digest_id, story_id)
) WITHOUT ROWID;
CREATE INDEX digest_items_story ON digest_items(story_id);

-- Full-text index over titles and text, kept in step with articles by triggers.
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, text,
    content = 'articles', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, text ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
    INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text);
END;
