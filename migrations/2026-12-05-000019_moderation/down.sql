DROP TABLE moderation_actions;
DROP TABLE reports;
UPDATE products SET status = 'published' WHERE status = 'hidden';
ALTER TABLE products DROP CONSTRAINT products_status_check;
ALTER TABLE products ADD CONSTRAINT products_status_check
    CHECK (status IN ('pending', 'published', 'failed'));
UPDATE posts SET status = 'published' WHERE status = 'hidden';
ALTER TABLE posts DROP CONSTRAINT posts_status_check;
ALTER TABLE posts ADD CONSTRAINT posts_status_check
    CHECK (status IN ('pending', 'published', 'failed'));
ALTER TABLE users DROP COLUMN banned_at, DROP COLUMN suspended_until;
