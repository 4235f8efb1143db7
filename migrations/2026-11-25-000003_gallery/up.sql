-- Indexes for the gallery: a user's likes (account deletion cascades through them) and a
-- user's succeeded emoji tasks, newest first (`GET /users/me/emojis?case=used`).
CREATE INDEX emoji_likes_user_idx ON emoji_likes (user_id);
CREATE INDEX face_tasks_user_emoji_done_idx ON face_tasks (user_id, created_at DESC, id DESC)
    WHERE kind = 'emoji' AND status = 'succeeded';
