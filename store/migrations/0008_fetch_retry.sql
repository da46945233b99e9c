-- Retrying article pages that could not be fetched (fetch/poll.go, README
-- "poll"). An article stored from its feed item because its page failed for
-- a reason that may pass is fetched again by later polls of its feed, a few
-- times and for a few days.

-- Times the article's page was requested: 1 when it was stored (also for
-- every article stored before this column existed), one more per retry.
ALTER TABLE articles ADD COLUMN fetch_attempts INTEGER NOT NULL DEFAULT 1;

-- 1 while fetch_error's cause may pass (network error, timeout, 429, 5xx)
-- and later polls may try the page again; 0 otherwise.
ALTER TABLE articles ADD COLUMN fetch_retry INTEGER NOT NULL DEFAULT 0;

-- The poller's lookup of a feed's pages to retry; small, as it holds only
-- the articles still waiting for one.
CREATE INDEX articles_fetch_retry ON articles(feed_id, id) WHERE fetch_retry = 1;
