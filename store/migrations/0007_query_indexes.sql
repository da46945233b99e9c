-- Search filters (store/search.go): every condition Search puts on an
-- article (relevance, published time, and ids from the company, agency and
-- files filters) is answered from this small index, so a match is checked
-- before it is scored without reading its (large) article row.
CREATE INDEX articles_filter ON articles(id, relevance, published);
