DROP TABLE user_challenges;
DROP TABLE emoji_likes;
DROP TABLE emojis;
DROP TABLE face_results;
DROP TABLE face_tasks;
