DROP INDEX face_tasks_user_done_idx;
DROP INDEX face_tasks_user_kind_done_idx;
CREATE INDEX face_tasks_user_emoji_done_idx ON face_tasks (user_id, created_at DESC, id DESC)
    WHERE kind = 'emoji' AND status = 'succeeded';
DROP INDEX emoji_likes_user_created_idx;
CREATE INDEX emoji_likes_user_created_idx ON emoji_likes (user_id, created_at DESC, emoji_id);
DROP INDEX emojis_user_public_new_idx;
DROP INDEX emojis_user_new_idx;
CREATE INDEX emojis_user_idx ON emojis (user_id, created_at DESC);

DROP TRIGGER face_results_rankings ON face_results;
DROP FUNCTION record_face_result_rankings();
DROP TABLE animal_totals, animal_days, face_usage_totals, face_usage_days;

DROP TRIGGER emoji_likes_moved ON emoji_likes;
DROP FUNCTION emoji_likes_moved();
DROP TRIGGER emoji_likes_counts_delete ON emoji_likes;
DROP TRIGGER emoji_likes_counts_insert ON emoji_likes;
DROP FUNCTION emoji_likes_counts();
DROP TRIGGER emojis_counts_visibility ON emojis;
DROP FUNCTION emojis_counts_on_visibility();
DROP TRIGGER emojis_counts_delete ON emojis;
DROP FUNCTION emojis_counts_on_delete();
DROP TRIGGER emojis_counts_insert ON emojis;
DROP FUNCTION emojis_counts_on_insert();
DROP FUNCTION roll_ranking_window(TEXT, TIMESTAMPTZ);
DROP FUNCTION bump_ranking_windows(TEXT[], BIGINT);
DROP TABLE emoji_window_likes, ranking_windows;
DROP FUNCTION bump_user_emoji_counts(UUID, BIGINT, BIGINT, BIGINT);
DROP TABLE user_emoji_counts, gallery_totals;
