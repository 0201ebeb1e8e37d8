DROP INDEX resources_search_trgm;
