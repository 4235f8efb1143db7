DROP TABLE places;
