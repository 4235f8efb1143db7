DROP TRIGGER users_search ON users;
DROP TRIGGER products_search ON products;
DROP TRIGGER posts_search ON posts;
DROP FUNCTION users_search(), products_search(), posts_search();
ALTER TABLE users DROP COLUMN search;
ALTER TABLE products DROP COLUMN search;
ALTER TABLE posts DROP COLUMN search;
DROP FUNCTION search_grams(TEXT);
