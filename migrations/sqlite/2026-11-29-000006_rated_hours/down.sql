DROP TABLE resource_ratings;
