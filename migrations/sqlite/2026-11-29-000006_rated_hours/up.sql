-- A resource's rated hours a year, against which its utilisation is reported (1 600 when absent).
CREATE TABLE resource_ratings (
  resource_id BIGINT PRIMARY KEY REFERENCES resources (id),
  rated_hours_per_year INTEGER NOT NULL CHECK (rated_hours_per_year BETWEEN 1 AND 8784)
);
