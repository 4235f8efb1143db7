DROP INDEX IF EXISTS face_tasks_user_emoji_done_idx;
DROP INDEX IF EXISTS emoji_likes_user_idx;
