-- Poller lookups by the link a feed lists (articles.url), so that an item
-- whose page redirects or names a different canonical URL is recognised on
-- the next poll without fetching its page again.
CREATE INDEX articles_url ON articles(url);
