//! No list runs one query per item: the statements PostgreSQL receives for a page are
//! counted (diesel's instrumentation on every pooled connection) and must not grow with the
//! page — a 20-item feed page, a post with its images, a product page and a search page cost
//! the same few statements as their 2-item versions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Mutex,
};

use crate::common::*;
use diesel::connection::{set_default_instrumentation, Instrumentation, InstrumentationEvent};
use serde_json::json;

static STATEMENTS: AtomicUsize = AtomicUsize::new(0);
static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn counting() -> Option<Box<dyn Instrumentation>> {
    Some(Box::new(|event: InstrumentationEvent<'_>| {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            STATEMENTS.fetch_add(1, Ordering::SeqCst);
            if let Ok(mut seen) = SEEN.lock() {
                seen.push(query.to_string().chars().take(120).collect());
            }
        }
    }))
}

/// Statements run while `req` is served (and what they were, for the failure message).
async fn statements_of<A: TestApp>(app: &A, req: TestRequest) -> (usize, Vec<String>) {
    STATEMENTS.store(0, Ordering::SeqCst);
    SEEN.lock().unwrap().clear();
    let r = send(app, req).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let n = STATEMENTS.load(Ordering::SeqCst);
    (n, SEEN.lock().unwrap().clone())
}

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(16, 16, image::Rgb([9, 9, 9]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// An upload of a tiny PNG by `who`, stored; its key.
async fn upload<A: TestApp>(app: &A, who: &Someone) -> String {
    let bytes = png();
    let r = send(
        app,
        bearer(
            post_json(
                "/api/v1/uploads",
                json!({"content_type": "image/png", "bytes": bytes.len()}),
            ),
            &who.token,
        ),
    )
    .await;
    let url = r.body["upload_url"].as_str().unwrap().to_owned();
    let put = TestRequest::put()
        .uri(&local_path(&url))
        .insert_header(("content-type", "image/png"))
        .set_payload(bytes);
    assert_eq!(send(app, put).await.status, 204);
    r.body["key"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn pages_cost_the_same_statements_whatever_their_size() {
    set_default_instrumentation(counting).unwrap();
    let t = spawn().await;
    let reader = someone(&t.app, "reader").await;
    let mut authors = Vec::new();
    for i in 0..4 {
        let author = someone(&t.app, &format!("author{i}")).await;
        let r = send(
            &t.app,
            bearer(
                TestRequest::put().uri(&format!("/api/v1/users/author{i}/follow")),
                &reader.token,
            ),
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.text);
        authors.push(author);
    }
    // 24 posts, each with an image (processed), across the followed authors; products too.
    let mut last_post = String::new();
    for i in 0..24 {
        let author = &authors[i % authors.len()];
        let key = upload(&t.app, author).await;
        let r = send(
            &t.app,
            bearer(
                post_json(
                    "/api/v1/posts",
                    json!({"title": format!("감귤 {i}"), "text": "", "images": [key]}),
                ),
                &author.token,
            ),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let media: uuid::Uuid = r.body["images"][0]["id"].as_str().unwrap().parse().unwrap();
        moji_api::uploads::processed::record(
            &t.state,
            media,
            moji_api::uploads::processed::ProcessedOutcome::Ready {
                width: 16,
                height: 16,
            },
        )
        .await
        .unwrap();
        last_post = r.body["id"].as_str().unwrap().to_owned();
        let r = send(
            &t.app,
            bearer(
                post_json(
                    "/api/v1/products",
                    json!({"name": format!("감귤 {i}"), "price": 1000 + i}),
                ),
                &author.token,
            ),
        )
        .await;
        assert_eq!(r.status, 201);
    }

    let cases = [
        ("feed", "/api/v1/feed?size={n}"),
        ("latest", "/api/v1/posts/latest?size={n}"),
        ("author", "/api/v1/posts/latest/author1?size={n}"),
        ("products", "/api/v1/products?size={n}"),
        ("search", "/api/v1/search?q=%EA%B0%90%EA%B7%A4&size={n}"),
    ];
    for (name, path) in cases {
        let req = |n: u32| {
            bearer(
                TestRequest::get().uri(&path.replace("{n}", &n.to_string())),
                &reader.token,
            )
        };
        // Warm the pool, the prepared statements and the link cache the same way for both.
        statements_of(&t.app, req(2)).await;
        statements_of(&t.app, req(20)).await;
        let (small, _) = statements_of(&t.app, req(2)).await;
        let (big, seen) = statements_of(&t.app, req(20)).await;
        assert_eq!(
            big, small,
            "{name}: 20 items ran {big} statements, 2 ran {small}: {seen:#?}"
        );
        assert!(big <= 4 && big > 0, "{name}: {big} statements: {seen:#?}");
        println!("{name}: {big} statements for 20 items: {seen:?}");
    }
    // A post with 24 comments (from several people, some liked): its comment pages.
    for i in 0..24 {
        let who = &authors[i % authors.len()];
        let r = send(
            &t.app,
            bearer(
                post_json(
                    &format!("/api/v1/posts/{last_post}/comments"),
                    json!({"text": format!("댓글 {i}")}),
                ),
                &who.token,
            ),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.text);
        if i % 3 == 0 {
            let id = r.body["id"].as_str().unwrap();
            let r = send(
                &t.app,
                bearer(
                    TestRequest::put().uri(&format!("/api/v1/comments/{id}/like")),
                    &reader.token,
                ),
            )
            .await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
    }
    let comments = |n: u32| {
        bearer(
            TestRequest::get().uri(&format!("/api/v1/posts/{last_post}/comments?size={n}")),
            &reader.token,
        )
    };
    statements_of(&t.app, comments(20)).await;
    let (small, _) = statements_of(&t.app, comments(2)).await;
    let (big, seen) = statements_of(&t.app, comments(20)).await;
    assert_eq!(
        big, small,
        "comments: 20 ran {big} statements, 2 ran {small}: {seen:#?}"
    );
    assert!(big <= 4 && big > 0, "comments: {big} statements: {seen:#?}");
    println!("comments: {big} statements for 20 items: {seen:?}");
    // A post page: the post, its images, its view.
    let (n, seen) = statements_of(
        &t.app,
        get_as(&format!("/api/v1/posts/{last_post}"), Some(&reader.token)),
    )
    .await;
    assert!(n <= 5 && n > 0, "post page: {n} statements: {seen:#?}");
    println!("post page: {n} statements: {seen:?}");
}
