//! Products over HTTP against real PostgreSQL, Redis and RabbitMQ: list, read, edit, delete,
//! the lists (newest, price either way, range, seller, words, mine) and every refusal; the
//! profile's counts and latest items; avatars.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common::*;
use actix_web::test::TestRequest;
use serde_json::{json, Value};

async fn list<A: TestApp>(
    app: &A,
    who: &Someone,
    name: &str,
    price: i64,
    description: &str,
) -> String {
    let r = send(
        app,
        bearer(
            post_json(
                "/api/v1/products",
                json!({"name": name, "price": price, "description": description,
                       "link": "https://shop.example.com/p/1"}),
            ),
            &who.token,
        ),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.headers.get("location").unwrap().to_str().unwrap(),
        format!("/api/v1/products/{}", r.body["id"].as_str().unwrap())
    );
    r.body["id"].as_str().unwrap().to_owned()
}

fn names(body: &Value) -> Vec<String> {
    item_strings(body, "name")
}

#[actix_web::test]
async fn list_read_edit_delete_and_refusals() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    let id = list(
        &t.app,
        &alice,
        "제주 한라봉 5kg",
        32_000,
        "당도 높은 한라봉",
    )
    .await;
    let path = format!("/api/v1/products/{id}");

    let r = send(&t.app, get(&path)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["seller"]["username"], "alice");
    assert_eq!(
        (r.body["price"].as_i64(), r.body["status"].as_str()),
        (Some(32_000), Some("published"))
    );
    assert_eq!(r.body["link"], "https://shop.example.com/p/1");
    assert!(r.body["images"].as_array().unwrap().is_empty());

    let patch = |body: Value, token: &str| bearer(patch_json(&path, body), token);
    let r = send(
        &t.app,
        patch(json!({"price": 29_000, "link": null}), &alice.token),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["price"], 29_000);
    assert!(r.body["link"].is_null(), "null removes the link");
    assert_eq!(r.body["name"], "제주 한라봉 5kg", "omitted fields stay");
    let r = send(&t.app, patch(json!({"price": 1}), &bob.token)).await;
    assert_problem(&r, 403, "forbidden");
    let r = send(&t.app, patch(json!({}), &alice.token)).await;
    assert_problem(&r, 422, "validation_failed");
    let r = send(&t.app, patch(json!({"price": -5}), &alice.token)).await;
    assert_field_problem(&r, 422, "validation_failed", "price");
    let r = send(&t.app, patch_json(&path, json!({"price": 1}))).await;
    assert_problem(&r, 401, "unauthorized");

    let create = |body: Value| bearer(post_json("/api/v1/products", body), &alice.token);
    for (body, field) in [
        (json!({"name": "", "price": 1}), "name"),
        (json!({"name": "x", "price": -1}), "price"),
        (json!({"name": "x", "price": 1_000_000_000_001i64}), "price"),
        (
            json!({"name": "x", "price": 1, "link": "javascript:alert(1)"}),
            "link",
        ),
        (
            json!({"name": "x", "price": 1, "link": "ftp://files.example.com"}),
            "link",
        ),
        (
            json!({"name": "x", "price": 1, "description": "가".repeat(2001)}),
            "description",
        ),
        (
            json!({"name": "x", "price": 1, "images": ["uploads/none/x.png"]}),
            "images[0]",
        ),
    ] {
        let r = send(&t.app, create(body.clone())).await;
        assert_field_problem(&r, 422, "validation_failed", field);
    }
    let r = send(&t.app, create(json!({"name": "x", "price": 1.5}))).await;
    assert_eq!(r.status, 422, "a fractional price is refused: {}", r.text);
    let r = send(&t.app, create(json!({"name": "x"}))).await;
    assert_eq!(r.status, 422, "price is required: {}", r.text);

    let del = |token: &str| bearer(TestRequest::delete().uri(&path), token);
    assert_problem(&send(&t.app, del(&bob.token)).await, 403, "forbidden");
    assert_eq!(send(&t.app, del(&alice.token)).await.status, 204);
    assert_problem(&send(&t.app, get(&path)).await, 404, "not_found");
    assert_problem(&send(&t.app, del(&alice.token)).await, 404, "not_found");
    let r = send(&t.app, get("/api/v1/products/not-a-uuid")).await;
    assert_eq!(r.status, 400);
    // Admins may delete anyone's product.
    let id = list(&t.app, &alice, "귤", 10_000, "").await;
    let root = admin(&t.app, &t.state, "root").await;
    let r = send(
        &t.app,
        bearer(
            TestRequest::delete().uri(&format!("/api/v1/products/{id}")),
            &root.token,
        ),
    )
    .await;
    assert_eq!(r.status, 204);
}

#[actix_web::test]
async fn lists_by_newest_price_range_seller_and_words() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    let bob = someone(&t.app, "bob").await;
    list(&t.app, &alice, "한라봉", 30_000, "제주 한라봉").await;
    list(&t.app, &alice, "감귤 10kg", 20_000, "새콤달콤 감귤").await;
    list(&t.app, &bob, "Green tea", 15_000, "Jeju green tea leaves").await;
    list(&t.app, &bob, "천혜향", 45_000, "귀한 과일").await;

    let r = send(&t.app, get("/api/v1/products?size=3")).await;
    assert_eq!(names(&r.body), ["천혜향", "Green tea", "감귤 10kg"]);
    let cursor = r.body["next_cursor"].as_str().unwrap();
    let r = send(
        &t.app,
        get(&format!("/api/v1/products?size=3&cursor={cursor}")),
    )
    .await;
    assert_eq!(names(&r.body), ["한라봉"]);
    assert!(r.body["next_cursor"].is_null());

    let r = send(&t.app, get("/api/v1/products?sort=price_asc&size=2")).await;
    assert_eq!(names(&r.body), ["Green tea", "감귤 10kg"]);
    let cursor = r.body["next_cursor"].as_str().unwrap();
    let r = send(
        &t.app,
        get(&format!(
            "/api/v1/products?sort=price_asc&size=2&cursor={cursor}"
        )),
    )
    .await;
    assert_eq!(names(&r.body), ["한라봉", "천혜향"]);
    let r = send(
        &t.app,
        get("/api/v1/products?sort=price_desc&min_price=16000&max_price=40000"),
    )
    .await;
    assert_eq!(names(&r.body), ["한라봉", "감귤 10kg"]);
    let r = send(&t.app, get("/api/v1/products?seller=bob")).await;
    assert_eq!(names(&r.body), ["천혜향", "Green tea"]);
    let r = send(
        &t.app,
        get(&format!("/api/v1/products?q={}", "%EA%B0%90%EA%B7%A4")),
    )
    .await;
    assert_eq!(names(&r.body), ["감귤 10kg"]);
    let r = send(&t.app, get("/api/v1/products?q=jeju")).await;
    assert_eq!(names(&r.body), ["Green tea"]);
    let r = send(
        &t.app,
        get(&format!(
            "/api/v1/products?q={}&max_price=25000",
            "%EC%A0%9C%EC%A3%BC"
        )),
    )
    .await;
    assert!(names(&r.body).is_empty(), "{}", r.text);

    let r = send(&t.app, get("/api/v1/products/latest/alice?size=1")).await;
    assert_eq!(
        (names(&r.body), r.body["total"].as_i64()),
        (vec!["감귤 10kg".to_owned()], Some(2))
    );
    let r = send(
        &t.app,
        get_as("/api/v1/users/me/products", Some(&bob.token)),
    )
    .await;
    assert_eq!(names(&r.body), ["천혜향", "Green tea"]);

    for (query, status) in [
        ("sort=cheap", 422),
        ("min_price=-1", 422),
        ("min_price=5&max_price=4", 422),
        ("q=%21%21", 422),
        ("size=101", 400),
        ("cursor=garbage", 400),
        ("seller=nobody", 404),
    ] {
        let r = send(&t.app, get(&format!("/api/v1/products?{query}"))).await;
        assert_eq!(r.status, status, "{query}: {}", r.text);
    }
    // A cursor of another sort order is refused.
    let r = send(&t.app, get("/api/v1/products?size=1")).await;
    let cursor = r.body["next_cursor"].as_str().unwrap();
    let r = send(
        &t.app,
        get(&format!("/api/v1/products?sort=price_asc&cursor={cursor}")),
    )
    .await;
    assert_problem(&r, 400, "bad_request");
    assert_problem(
        &send(&t.app, get("/api/v1/products/latest/nobody")).await,
        404,
        "not_found",
    );
    assert_problem(
        &send(&t.app, get("/api/v1/users/me/products")).await,
        401,
        "unauthorized",
    );
}

#[actix_web::test]
async fn profiles_show_counts_latest_items_and_the_avatar() {
    let t = spawn().await;
    let alice = someone(&t.app, "alice").await;
    for i in 0..4 {
        let r = send(
            &t.app,
            bearer(
                post_json(
                    "/api/v1/posts",
                    json!({"title": format!("글 {i}"), "text": ""}),
                ),
                &alice.token,
            ),
        )
        .await;
        assert_eq!(r.status, 201);
    }
    list(&t.app, &alice, "한라봉", 30_000, "").await;
    let r = send(&t.app, get("/api/v1/users/alice")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        (r.body["posts"].as_i64(), r.body["products"].as_i64()),
        (Some(4), Some(1))
    );
    assert_eq!(
        item_titles(&r.body["latest_posts"]),
        ["글 3", "글 2", "글 1"]
    );
    assert_eq!(r.body["latest_products"][0]["name"], "한라봉");
    assert!(r.body["avatar"].is_null());

    // An avatar: an upload, then PATCH /users/me; it shows as processing until resized.
    let image = {
        let img = image::RgbImage::from_pixel(30, 30, image::Rgb([1, 2, 3]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    };
    let r = send(
        &t.app,
        bearer(
            post_json(
                "/api/v1/uploads",
                json!({"content_type": "image/png", "bytes": image.len()}),
            ),
            &alice.token,
        ),
    )
    .await;
    let (url, key) = (
        r.body["upload_url"].as_str().unwrap().to_owned(),
        r.body["key"].as_str().unwrap().to_owned(),
    );
    let put = TestRequest::put()
        .uri(&local_path(&url))
        .insert_header(("content-type", "image/png"))
        .set_payload(image);
    assert_eq!(send(&t.app, put).await.status, 204);
    let me = |body: Value| bearer(patch_json("/api/v1/users/me", body), &alice.token);
    let r = send(&t.app, me(json!({"avatar": "uploads/x/y.png"}))).await;
    assert_field_problem(&r, 422, "validation_failed", "avatar");
    let r = send(&t.app, me(json!({"avatar": key}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = send(&t.app, get("/api/v1/users/alice")).await;
    assert_eq!(r.body["avatar"]["status"], "processing", "{}", r.text);
    let r = send(&t.app, me(json!({"avatar": key}))).await;
    assert_field_problem(&r, 422, "validation_failed", "avatar");
    let r = send(&t.app, me(json!({"avatar": null}))).await;
    assert_eq!(r.status, 200);
    let r = send(&t.app, get("/api/v1/users/alice")).await;
    assert!(r.body["avatar"].is_null(), "{}", r.text);
}

fn item_titles(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap().to_owned())
        .collect()
}
