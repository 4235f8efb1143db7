DROP TABLE item_views;
DROP TABLE item_embeddings;
