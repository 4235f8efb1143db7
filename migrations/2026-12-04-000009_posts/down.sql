DROP TRIGGER post_likes_counts_delete ON post_likes;
DROP TRIGGER post_likes_counts_insert ON post_likes;
DROP FUNCTION post_likes_counts();
DROP TRIGGER posts_counts ON posts;
DROP FUNCTION posts_counts();
DROP TABLE user_post_counts, post_likes, post_tags, posts;
