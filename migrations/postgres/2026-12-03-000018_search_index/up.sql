-- Free-text search: a trigram index of each resource's search text, which LIKE '%term%' uses for
-- a term of three or more characters (any script). pg_trgm ships with PostgreSQL (contrib) and
-- is a trusted extension: the database's owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX resources_search_trgm ON resources USING gin (search_text gin_trgm_ops);
