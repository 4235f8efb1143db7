DROP TRIGGER follows_counts_delete ON follows;
DROP TRIGGER follows_counts_insert ON follows;
DROP FUNCTION follows_counts();
DROP FUNCTION bump_user_follow_counts(UUID, BIGINT, BIGINT);
DROP TABLE user_follow_counts;
DROP TABLE follows;
