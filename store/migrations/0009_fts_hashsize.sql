-- FTS5 keeps the terms of the rows a transaction adds in memory and writes
-- them out as a new index segment whenever they pass 'hashsize' bytes
-- (default 1 MB) and at commit. An import adds 4,096 articles a
-- transaction, several megabytes of terms, so the default cut each
-- transaction into many small segments that automerge then merged again:
-- about 0.7 s of the writer's CPU in a 100,000-article import (README,
-- "Performance"). Searches find the same rows with the same scores.
INSERT INTO articles_fts(articles_fts, rank) VALUES ('hashsize', 16777216);
