-- Chat (issue 13): rooms, their members and their messages. Each room numbers its messages
-- (and membership changes) with a gap-free seq taken from chat_rooms.last_seq in the same
-- transaction as the insert, so a committed seq n means every seq below n is committed too.

CREATE TABLE chat_rooms (
    id               uuid PRIMARY KEY,
    name             text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    -- NULL after the owner's account is deleted; readers fall back to the longest-standing member.
    owner_id         uuid        REFERENCES users (id) ON DELETE SET NULL,
    last_seq         bigint      NOT NULL DEFAULT 0,
    -- Kept by a trigger on chat_members, so cascaded deletes (accounts) keep it right.
    member_count     integer     NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_activity_at timestamptz NOT NULL DEFAULT now(),
    -- Set when the last member leaves: nobody can read or write the room any more.
    closed_at        timestamptz
);

CREATE TABLE chat_members (
    room_id       uuid        NOT NULL REFERENCES chat_rooms (id) ON DELETE CASCADE,
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at     timestamptz NOT NULL DEFAULT now(),
    last_read_seq bigint      NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, user_id)
);
-- "My rooms" and a socket's room set.
CREATE INDEX chat_members_by_user ON chat_members (user_id, room_id);

CREATE TABLE chat_messages (
    room_id       uuid        NOT NULL REFERENCES chat_rooms (id) ON DELETE CASCADE,
    seq           bigint      NOT NULL,
    id            uuid        NOT NULL UNIQUE,
    kind          text        NOT NULL CHECK (kind IN ('text', 'joined', 'left')),
    sender_id     uuid        REFERENCES users (id) ON DELETE SET NULL,
    text          text        NOT NULL DEFAULT '' CHECK (char_length(text) <= 4000),
    client_msg_id text        CHECK (char_length(client_msg_id) BETWEEN 1 AND 64),
    sent_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room_id, seq)
);
-- A repeated client_msg_id from the same sender is the same message (stored once).
CREATE UNIQUE INDEX chat_messages_client_id ON chat_messages (sender_id, client_msg_id)
    WHERE client_msg_id IS NOT NULL;
-- The latest text message of a room and unread counts walk (room_id, seq) backwards.
CREATE INDEX chat_messages_text ON chat_messages (room_id, seq) WHERE kind = 'text';
-- My rooms by recent activity.
CREATE INDEX chat_rooms_activity ON chat_rooms (last_activity_at DESC, id DESC);

CREATE FUNCTION chat_members_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE chat_rooms SET member_count = member_count + 1 WHERE id = NEW.room_id;
    ELSE
        UPDATE chat_rooms SET member_count = member_count - 1 WHERE id = OLD.room_id;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER chat_members_count AFTER INSERT OR DELETE ON chat_members
    FOR EACH ROW EXECUTE FUNCTION chat_members_count();
