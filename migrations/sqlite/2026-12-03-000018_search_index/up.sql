-- Free-text search: a trigram index of each resource's search text, kept by triggers, so a term
-- of three or more characters (any script) is found through the index, not a scan.
CREATE VIRTUAL TABLE resource_search USING fts5(
    search_text, content = 'resources', content_rowid = 'id', tokenize = 'trigram'
);
INSERT INTO resource_search (resource_search) VALUES ('rebuild');
CREATE TRIGGER resource_search_insert AFTER INSERT ON resources BEGIN
    INSERT INTO resource_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER resource_search_delete AFTER DELETE ON resources BEGIN
    INSERT INTO resource_search (resource_search, rowid, search_text)
    VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER resource_search_update AFTER UPDATE OF search_text ON resources BEGIN
    INSERT INTO resource_search (resource_search, rowid, search_text)
    VALUES ('delete', old.id, old.search_text);
    INSERT INTO resource_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
