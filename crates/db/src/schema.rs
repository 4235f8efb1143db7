// @generated automatically by Diesel CLI.

pub mod sql_types {
    #[derive(diesel::sql_types::SqlType)]
    #[diesel(postgres_type(name = "tsvector", schema = "pg_catalog"))]
    pub struct Tsvector;
}

diesel::table! {
    account_tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        purpose -> Text,
        token_hash -> Bytea,
        email -> Text,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    animal_days (day, animal) {
        day -> Date,
        animal -> Text,
        results -> Int8,
    }
}

diesel::table! {
    animal_totals (animal) {
        animal -> Text,
        results -> Int8,
    }
}

diesel::table! {
    chat_members (room_id, user_id) {
        room_id -> Uuid,
        user_id -> Uuid,
        joined_at -> Timestamptz,
        last_read_seq -> Int8,
    }
}

diesel::table! {
    chat_messages (room_id, seq) {
        room_id -> Uuid,
        seq -> Int8,
        id -> Uuid,
        kind -> Text,
        sender_id -> Nullable<Uuid>,
        text -> Text,
        client_msg_id -> Nullable<Text>,
        sent_at -> Timestamptz,
    }
}

diesel::table! {
    chat_rooms (id) {
        id -> Uuid,
        name -> Text,
        owner_id -> Nullable<Uuid>,
        last_seq -> Int8,
        member_count -> Int4,
        created_at -> Timestamptz,
        last_activity_at -> Timestamptz,
        closed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    comment_likes (comment_id, user_id) {
        comment_id -> Uuid,
        user_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    comments (id) {
        id -> Uuid,
        post_id -> Uuid,
        author_id -> Uuid,
        parent_id -> Nullable<Uuid>,
        text -> Text,
        like_count -> Int4,
        reply_count -> Int4,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    course_quota (user_id, day) {
        user_id -> Uuid,
        day -> Date,
        used -> Int4,
    }
}

diesel::table! {
    course_tasks (id) {
        id -> Uuid,
        user_id -> Uuid,
        request -> Jsonb,
        day -> Date,
        status -> Text,
        error_code -> Nullable<Text>,
        error_detail -> Nullable<Text>,
        idempotency_key -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    dataset_orders (id) {
        id -> Uuid,
        dataset_id -> Uuid,
        buyer_id -> Uuid,
        amount_krw -> Int8,
        status -> Text,
        provider -> Text,
        payment_id -> Nullable<Text>,
        failure -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        paid_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    dataset_quota (user_id, day) {
        user_id -> Uuid,
        day -> Date,
        images -> Int4,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Tsvector;

    datasets (id) {
        id -> Uuid,
        user_id -> Uuid,
        title -> Text,
        description -> Text,
        category -> Text,
        tags -> Array<Nullable<Text>>,
        method -> Text,
        size -> Int4,
        quantity -> Int4,
        seed -> Int8,
        source_key -> Text,
        day -> Date,
        status -> Text,
        zip_key -> Nullable<Text>,
        zip_bytes -> Nullable<Int8>,
        preview_key -> Nullable<Text>,
        result -> Nullable<Jsonb>,
        price_krw -> Nullable<Int8>,
        downloads -> Int8,
        error_code -> Nullable<Text>,
        error_detail -> Nullable<Text>,
        idempotency_key -> Nullable<Text>,
        search -> Tsvector,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    date_courses (id) {
        id -> Uuid,
        user_id -> Uuid,
        title -> Text,
        rating -> Nullable<Int2>,
        provider -> Text,
        document -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    emoji_likes (emoji_id, user_id) {
        emoji_id -> Uuid,
        user_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    emoji_window_likes (period, emoji_id) {
        period -> Text,
        emoji_id -> Uuid,
        likes -> Int8,
    }
}

diesel::table! {
    emojis (id) {
        id -> Uuid,
        task_id -> Uuid,
        user_id -> Uuid,
        caption -> Text,
        visibility -> Text,
        template -> Text,
        expression -> Text,
        image_key -> Text,
        thumbnail_key -> Text,
        like_count -> Int4,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    face_results (task_id, face_index) {
        task_id -> Uuid,
        face_index -> Int4,
        user_id -> Uuid,
        kind -> Text,
        template -> Nullable<Text>,
        expression -> Text,
        confidence -> Float4,
        animal -> Nullable<Text>,
        created_at -> Timestamptz,
        day -> Date,
    }
}

diesel::table! {
    face_tasks (id) {
        id -> Uuid,
        user_id -> Uuid,
        kind -> Text,
        template -> Nullable<Text>,
        image_key -> Text,
        status -> Text,
        result -> Nullable<Jsonb>,
        error_code -> Nullable<Text>,
        error_detail -> Nullable<Text>,
        idempotency_key -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        finished_at -> Nullable<Timestamptz>,
        visibility -> Text,
    }
}

diesel::table! {
    face_usage_days (day, template, expression) {
        day -> Date,
        template -> Text,
        expression -> Text,
        faces -> Int8,
    }
}

diesel::table! {
    face_usage_totals (template, expression) {
        template -> Text,
        expression -> Text,
        faces -> Int8,
    }
}

diesel::table! {
    follows (follower_id, followee_id) {
        follower_id -> Uuid,
        followee_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    gallery_totals (singleton) {
        singleton -> Bool,
        public_emojis -> Int8,
    }
}

diesel::table! {
    item_embeddings (id) {
        id -> Uuid,
        kind -> Text,
        owner_id -> Uuid,
        embedding -> Array<Nullable<Float4>>,
        model -> Text,
        source_updated_at -> Timestamptz,
        embedded_at -> Timestamptz,
    }
}

diesel::table! {
    item_views (user_id, item_id) {
        user_id -> Uuid,
        item_id -> Uuid,
        kind -> Text,
        dwell_ms -> Int8,
        views -> Int4,
        last_viewed_at -> Timestamptz,
    }
}

diesel::table! {
    local_payments (id) {
        id -> Text,
        order_id -> Uuid,
        amount_krw -> Int8,
        status -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    mail_outbox (id) {
        id -> Int8,
        to_address -> Text,
        subject -> Text,
        body -> Text,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        last_error -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    media (id) {
        id -> Uuid,
        owner_id -> Uuid,
        source_key -> Text,
        content_type -> Text,
        bytes -> Int8,
        status -> Text,
        attached_at -> Nullable<Timestamptz>,
        released_at -> Nullable<Timestamptz>,
        display_key -> Nullable<Text>,
        thumbnail_key -> Nullable<Text>,
        width -> Nullable<Int4>,
        height -> Nullable<Int4>,
        failure -> Nullable<Text>,
        created_at -> Timestamptz,
        processed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    moderation_actions (id) {
        id -> Uuid,
        actor_id -> Nullable<Uuid>,
        action -> Text,
        target_type -> Text,
        target_id -> Uuid,
        subject_id -> Nullable<Uuid>,
        reason -> Text,
        until -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    oidc_identities (issuer, subject) {
        issuer -> Text,
        subject -> Text,
        user_id -> Uuid,
        email -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    outbox (id) {
        id -> Int8,
        exchange -> Text,
        routing_key -> Text,
        envelope -> Jsonb,
        created_at -> Timestamptz,
        claimed_until -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    places (id) {
        id -> Text,
        region -> Text,
        name_ko -> Text,
        name_en -> Text,
        lat -> Float8,
        lng -> Float8,
        category -> Text,
        indoor -> Bool,
        seasons -> Array<Nullable<Text>>,
        open_time -> Text,
        close_time -> Text,
        price_level -> Int2,
        stay_minutes -> Int4,
        description_en -> Text,
        description_ko -> Text,
        popularity_rank -> Int4,
    }
}

diesel::table! {
    post_images (post_id, position) {
        post_id -> Uuid,
        position -> Int2,
        media_id -> Uuid,
    }
}

diesel::table! {
    post_likes (post_id, user_id) {
        post_id -> Uuid,
        user_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    post_tags (tag, post_id) {
        tag -> Text,
        post_id -> Uuid,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Tsvector;

    posts (id) {
        id -> Uuid,
        author_id -> Uuid,
        title -> Text,
        body -> Text,
        tags -> Array<Nullable<Text>>,
        status -> Text,
        like_count -> Int4,
        view_count -> Int8,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        failure -> Nullable<Text>,
        comment_count -> Int4,
        search -> Tsvector,
    }
}

diesel::table! {
    product_images (product_id, position) {
        product_id -> Uuid,
        position -> Int2,
        media_id -> Uuid,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Tsvector;

    products (id) {
        id -> Uuid,
        seller_id -> Uuid,
        name -> Text,
        price -> Int8,
        link -> Nullable<Text>,
        description -> Text,
        status -> Text,
        failure -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        search -> Tsvector,
    }
}

diesel::table! {
    ranking_windows (period) {
        period -> Text,
        starts_at -> Timestamptz,
        emojis -> Int8,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Uuid,
        family_id -> Uuid,
        issued_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    reports (id) {
        id -> Uuid,
        reporter_id -> Uuid,
        target_type -> Text,
        target_id -> Uuid,
        target_owner -> Nullable<Uuid>,
        reason -> Text,
        text -> Text,
        status -> Text,
        handled_by -> Nullable<Uuid>,
        handled_at -> Nullable<Timestamptz>,
        resolution -> Nullable<Text>,
        note -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    session_families (id) {
        id -> Uuid,
        user_id -> Uuid,
        created_at -> Timestamptz,
        last_used_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
        revoked_reason -> Nullable<Text>,
    }
}

diesel::table! {
    user_challenges (user_id, challenge) {
        user_id -> Uuid,
        challenge -> Text,
        awarded_at -> Timestamptz,
    }
}

diesel::table! {
    user_comment_counts (user_id) {
        user_id -> Uuid,
        comments -> Int8,
    }
}

diesel::table! {
    user_emoji_counts (user_id) {
        user_id -> Uuid,
        saved -> Int8,
        public -> Int8,
        liked -> Int8,
    }
}

diesel::table! {
    user_face_counts (user_id) {
        user_id -> Uuid,
        emoji_tasks -> Int8,
        zodiac_tasks -> Int8,
    }
}

diesel::table! {
    user_face_days (user_id, day) {
        user_id -> Uuid,
        day -> Date,
    }
}

diesel::table! {
    user_face_seen (user_id, what, value) {
        user_id -> Uuid,
        what -> Text,
        value -> Text,
    }
}

diesel::table! {
    user_follow_counts (user_id) {
        user_id -> Uuid,
        followers -> Int8,
        following -> Int8,
    }
}

diesel::table! {
    user_post_counts (user_id) {
        user_id -> Uuid,
        posts -> Int8,
    }
}

diesel::table! {
    user_product_counts (user_id) {
        user_id -> Uuid,
        products -> Int8,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use super::sql_types::Tsvector;

    users (id) {
        id -> Uuid,
        username -> Text,
        email -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        bio -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        links -> Array<Nullable<Text>>,
        avatar_media_id -> Nullable<Uuid>,
        search -> Tsvector,
        suspended_until -> Nullable<Timestamptz>,
        banned_at -> Nullable<Timestamptz>,
        email_verified_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(account_tokens -> users (user_id));
diesel::joinable!(chat_members -> chat_rooms (room_id));
diesel::joinable!(chat_members -> users (user_id));
diesel::joinable!(chat_messages -> chat_rooms (room_id));
diesel::joinable!(chat_messages -> users (sender_id));
diesel::joinable!(chat_rooms -> users (owner_id));
diesel::joinable!(comment_likes -> comments (comment_id));
diesel::joinable!(comment_likes -> users (user_id));
diesel::joinable!(comments -> posts (post_id));
diesel::joinable!(comments -> users (author_id));
diesel::joinable!(course_quota -> users (user_id));
diesel::joinable!(course_tasks -> users (user_id));
diesel::joinable!(dataset_orders -> datasets (dataset_id));
diesel::joinable!(dataset_orders -> users (buyer_id));
diesel::joinable!(dataset_quota -> users (user_id));
diesel::joinable!(datasets -> users (user_id));
diesel::joinable!(date_courses -> course_tasks (id));
diesel::joinable!(date_courses -> users (user_id));
diesel::joinable!(emoji_likes -> emojis (emoji_id));
diesel::joinable!(emoji_likes -> users (user_id));
diesel::joinable!(emoji_window_likes -> ranking_windows (period));
diesel::joinable!(emojis -> face_tasks (task_id));
diesel::joinable!(emojis -> users (user_id));
diesel::joinable!(face_results -> face_tasks (task_id));
diesel::joinable!(face_results -> users (user_id));
diesel::joinable!(face_tasks -> users (user_id));
diesel::joinable!(item_views -> users (user_id));
diesel::joinable!(oidc_identities -> users (user_id));
diesel::joinable!(post_images -> media (media_id));
diesel::joinable!(post_images -> posts (post_id));
diesel::joinable!(post_likes -> posts (post_id));
diesel::joinable!(post_likes -> users (user_id));
diesel::joinable!(post_tags -> posts (post_id));
diesel::joinable!(posts -> users (author_id));
diesel::joinable!(product_images -> media (media_id));
diesel::joinable!(product_images -> products (product_id));
diesel::joinable!(products -> users (seller_id));
diesel::joinable!(refresh_tokens -> session_families (family_id));
diesel::joinable!(session_families -> users (user_id));
diesel::joinable!(user_challenges -> users (user_id));
diesel::joinable!(user_comment_counts -> users (user_id));
diesel::joinable!(user_emoji_counts -> users (user_id));
diesel::joinable!(user_face_counts -> users (user_id));
diesel::joinable!(user_face_days -> users (user_id));
diesel::joinable!(user_face_seen -> users (user_id));
diesel::joinable!(user_follow_counts -> users (user_id));
diesel::joinable!(user_post_counts -> users (user_id));
diesel::joinable!(user_product_counts -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    account_tokens,
    animal_days,
    animal_totals,
    chat_members,
    chat_messages,
    chat_rooms,
    comment_likes,
    comments,
    course_quota,
    course_tasks,
    dataset_orders,
    dataset_quota,
    datasets,
    date_courses,
    emoji_likes,
    emoji_window_likes,
    emojis,
    face_results,
    face_tasks,
    face_usage_days,
    face_usage_totals,
    follows,
    gallery_totals,
    item_embeddings,
    item_views,
    local_payments,
    mail_outbox,
    media,
    moderation_actions,
    oidc_identities,
    outbox,
    places,
    post_images,
    post_likes,
    post_tags,
    posts,
    product_images,
    products,
    ranking_windows,
    refresh_tokens,
    reports,
    session_families,
    user_challenges,
    user_comment_counts,
    user_emoji_counts,
    user_face_counts,
    user_face_days,
    user_face_seen,
    user_follow_counts,
    user_post_counts,
    user_product_counts,
    users,
);
