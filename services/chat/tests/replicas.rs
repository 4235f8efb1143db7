//! Two chat replicas in one test, on real PostgreSQL, Redis and RabbitMQ: delivery across
//! replicas exactly once and in order, idempotent sends, frame errors, resume, slow consumers
//! and revoked sessions.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{assert_gap_free, env, person, room, Client, Replica};
use serde_json::json;

#[actix_web::test]
async fn a_message_sent_on_one_replica_reaches_members_on_both_once_in_order() {
    let env = env();
    let (a, b) = (
        Replica::start(&env.settings).await,
        Replica::start(&env.settings).await,
    );
    let (alice, bob, carol) = (
        person(&env, "alice"),
        person(&env, "bob"),
        person(&env, "carol"),
    );
    let id = room(&a, &alice, "귤 농장", &[&bob, &carol]).await;

    let mut on_a = Client::connect(a.addr(), &alice).await;
    let mut bob_a = Client::connect(a.addr(), &bob).await;
    let mut carol_b = Client::connect(b.addr(), &carol).await;
    for i in 0..10 {
        on_a.say(id, &format!("m{i}"), &format!("안녕 {i}")).await;
        let ack = on_a.until("ack").await;
        assert_eq!(ack["client_msg_id"], format!("m{i}"));
        assert_eq!(ack["seq"], 4 + i, "three joined events come first");
    }
    for client in [&mut bob_a, &mut carol_b] {
        while client.last.get(&id).copied().unwrap_or(0) < 13 {
            client.next_frame().await.expect("all ten messages");
        }
        // Nothing more arrives: no duplicate from the other path.
        assert!(client
            .next_frame_within(Duration::from_millis(300))
            .await
            .is_none());
        let who = client.who.username.clone();
        assert_gap_free(&who, &client.seqs[&id], 4, 13);
    }
    let frame_texts: Vec<i64> = carol_b.seqs[&id].clone();
    assert_eq!(frame_texts.len(), 10);
    a.stop().await;
    b.stop().await;
}

#[actix_web::test]
async fn sends_are_idempotent_and_bad_frames_get_errors_on_an_open_socket() {
    let mut env = env();
    env.settings.chat.send_limit = 4;
    // Windows are aligned to the clock: a day-long one does not roll over mid-test.
    env.settings.chat.send_window_secs = 86_400;
    let a = Replica::start(&env.settings).await;
    let (alice, bob, eve) = (
        person(&env, "alice"),
        person(&env, "bob"),
        person(&env, "eve"),
    );
    let id = room(&a, &alice, "market", &[&bob]).await;
    let mut alice_ws = Client::connect(a.addr(), &alice).await;
    let mut bob_ws = Client::connect(a.addr(), &bob).await;
    let mut eve_ws = Client::connect(a.addr(), &eve).await;

    alice_ws.say(id, "same", "first").await;
    let first = alice_ws.until("ack").await;
    alice_ws.say(id, "same", "first again").await;
    let again = alice_ws.until("ack").await;
    assert_eq!(first["seq"], again["seq"]);
    assert_eq!(first["id"], again["id"]);
    let message = bob_ws.until("message").await;
    assert_eq!(message["text"], "first");
    assert_eq!(message["sender"], "alice");
    assert!(
        bob_ws
            .next_frame_within(Duration::from_millis(300))
            .await
            .is_none(),
        "stored once"
    );
    let stored = env.db.execute(&format!(
        "SELECT 1 FROM chat_messages WHERE room_id = '{id}' AND kind = 'text'"
    ));
    assert_eq!(stored, 1);

    // Not a member: forbidden, the socket stays open.
    eve_ws.say(id, "e1", "let me in").await;
    let error = eve_ws.until("error").await;
    assert_eq!(error["code"], "forbidden");
    assert_eq!(error["ref"], "e1");
    for bad in [
        "not json",
        r#"{"v":1,"type":"dance"}"#,
        r#"{"v":1,"type":"send"}"#,
    ] {
        eve_ws
            .ws
            .send(tokio_tungstenite::tungstenite::Message::text(bad))
            .await
            .unwrap();
        let error = eve_ws.until("error").await;
        assert_eq!(error["code"], "bad_frame", "{bad}: {error}");
    }
    eve_ws.send(json!({"v": 1, "type": "ping"})).await;
    assert_eq!(eve_ws.until("pong").await["type"], "pong");

    // Text limits.
    alice_ws.say(id, "long", &"가".repeat(4001)).await;
    assert_eq!(alice_ws.until("error").await["code"], "validation_failed");
    alice_ws.say(id, "blank", "  ").await;
    assert_eq!(alice_ws.until("error").await["code"], "validation_failed");

    // Rate: four sends per window were allowed (two above counted), the fifth is refused.
    alice_ws.say(id, "r1", "one").await;
    alice_ws.until("ack").await;
    alice_ws.say(id, "r2", "two").await;
    alice_ws.until("ack").await;
    alice_ws.say(id, "r3", "three").await;
    let limited = alice_ws.until("error").await;
    assert_eq!(limited["code"], "rate_limited", "{limited}");
    assert_eq!(limited["ref"], "r3");
    a.stop().await;
}

use futures_util::{SinkExt, StreamExt};

#[actix_web::test]
async fn resume_replays_what_a_disconnected_member_missed_then_goes_live() {
    let env = env();
    let (a, b) = (
        Replica::start(&env.settings).await,
        Replica::start(&env.settings).await,
    );
    let (alice, bob) = (person(&env, "alice"), person(&env, "bob"));
    let id = room(&a, &alice, "resume", &[&bob]).await;
    let mut alice_ws = Client::connect(a.addr(), &alice).await;
    let mut bob_ws = Client::connect(a.addr(), &bob).await;
    alice_ws.say(id, "before", "before").await;
    alice_ws.until("ack").await;
    bob_ws.until("message").await;
    let seen = bob_ws.last.clone();
    drop(bob_ws);

    for i in 0..5 {
        alice_ws
            .say(id, &format!("away{i}"), "while you were away")
            .await;
        alice_ws.until("ack").await;
    }
    // Bob comes back on the other replica and resumes from what he had.
    let mut bob_ws = Client::connect(b.addr(), &bob).await;
    bob_ws.last = seen.clone();
    let resumed = bob_ws.resume().await;
    assert_eq!(resumed["rooms"][id.to_string()], 8);
    assert_gap_free("bob", &bob_ws.seqs[&id], seen[&id] + 1, 8);
    alice_ws.say(id, "live", "and live again").await;
    alice_ws.until("ack").await;
    let live = bob_ws.until("message").await;
    assert_eq!(live["seq"], 9);
    assert_gap_free("bob", &bob_ws.seqs[&id], seen[&id] + 1, 9);
    a.stop().await;
    b.stop().await;
}

#[actix_web::test]
async fn a_client_that_stops_reading_is_closed_with_1013_while_others_keep_receiving() {
    let mut env = env();
    env.settings.chat.outbound_queue = 8;
    env.settings.chat.send_limit = 100_000;
    let a = Replica::start(&env.settings).await;
    let (alice, bob, slow) = (
        person(&env, "alice"),
        person(&env, "bob"),
        person(&env, "slow"),
    );
    let id = room(&a, &alice, "firehose", &[&bob, &slow]).await;
    let mut slow_ws = Client::connect_small_buffer(a.addr(), &slow).await;
    let mut bob_ws = Client::connect(a.addr(), &bob).await;
    let mut alice_ws = Client::connect(a.addr(), &alice).await;
    let big = "가".repeat(4000); // 12 kB a frame: the socket buffers fill quickly
    let total = 600;
    let reader = tokio::spawn(async move {
        let mut got = 0;
        while got < total {
            match bob_ws.next_frame_within(Duration::from_secs(20)).await {
                Some(frame) if frame["type"] == "message" => got += 1,
                Some(_) => {}
                None => break,
            }
        }
        got
    });
    for i in 0..total {
        alice_ws.say(id, &format!("f{i}"), &big).await;
        // Read acks and own echoes as we go, so alice herself never falls behind.
        alice_ws.until("ack").await;
    }
    assert_eq!(reader.await.unwrap(), total, "bob received everything");
    // Now the slow client reads: what was buffered, then the close frame.
    let code = slow_ws.close_code(Duration::from_secs(30)).await;
    assert_eq!(code, Some(1013));
    assert!(
        slow_ws.seqs[&id].len() < total,
        "the slow client was cut off before the end"
    );
    a.stop().await;
}

#[actix_web::test]
async fn revoked_sessions_are_refused_and_their_live_sockets_closed() {
    let env = env();
    let a = Replica::start(&env.settings).await;
    let (alice, bob) = (person(&env, "alice"), person(&env, "bob"));
    let mut alice_ws = Client::connect(a.addr(), &alice).await;
    // Logout revokes the session family in Redis, as the api does.
    a.state
        .redis
        .revoke(
            &moji_auth::revoked_session_key(alice.session_id),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let code = alice_ws.close_code(Duration::from_secs(10)).await;
    assert_eq!(code, Some(1008));
    assert!(
        Client::try_connect(a.addr(), &alice).await.is_err(),
        "revoked token refused"
    );
    let mut forged = bob.clone();
    forged.token.push('x');
    assert!(
        Client::try_connect(a.addr(), &forged).await.is_err(),
        "bad signature refused"
    );
    // Subprotocol authentication selects moji.v1.
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{}/api/v1/chat/ws", a.addr())
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        format!("moji.v1, bearer.{}", bob.token).parse().unwrap(),
    );
    let (_ws, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "moji.v1");
    a.stop().await;
}

#[actix_web::test]
async fn a_suspended_account_loses_its_live_sockets_and_cannot_reconnect() {
    let env = env();
    let a = Replica::start(&env.settings).await;
    let alice = person(&env, "alice");
    let mut alice_ws = Client::connect(a.addr(), &alice).await;
    // What the api's `POST /admin/users/{username}/suspend` does to the revocation list.
    let until = chrono::Utc::now() + chrono::Duration::hours(1);
    a.state
        .auth
        .suspend_account(alice.id, moji_auth::Suspension { until: Some(until) })
        .await
        .unwrap();
    let code = alice_ws.close_code(Duration::from_secs(10)).await;
    assert_eq!(code, Some(1008));
    assert!(
        Client::try_connect(a.addr(), &alice).await.is_err(),
        "a suspended account is refused"
    );
    a.state.auth.reinstate_account(alice.id).await.unwrap();
    assert!(Client::try_connect(a.addr(), &alice).await.is_ok());
    a.stop().await;
}

#[actix_web::test]
async fn a_deleted_account_loses_its_sockets_on_every_replica() {
    use moji_common::{messages::UserDeletedV1, Envelope, MessageType};
    let env = env();
    let (a, b) = (
        Replica::start(&env.settings).await,
        Replica::start(&env.settings).await,
    );
    let bob = person(&env, "bob");
    let mut on_a = Client::connect(a.addr(), &bob).await;
    let mut on_b = Client::connect(b.addr(), &bob).await;
    // What the api announces when an account is deleted.
    let envelope = Envelope::new("api", bob.id, UserDeletedV1 { user_id: bob.id });
    let exchange = a.state.broker.topology().events_exchange();
    a.state
        .broker
        .publish(&exchange, UserDeletedV1::TYPE, &envelope)
        .await
        .unwrap();
    assert_eq!(on_a.close_code(Duration::from_secs(5)).await, Some(1008));
    assert_eq!(on_b.close_code(Duration::from_secs(5)).await, Some(1008));
    a.stop().await;
    b.stop().await;
}

#[actix_web::test]
async fn silent_peers_are_dropped_and_oversized_frames_close_the_socket() {
    let mut env = env();
    env.settings.chat.heartbeat_secs = 1;
    env.settings.chat.idle_timeout_secs = 2;
    let a = Replica::start(&env.settings).await;
    let bob = person(&env, "bob");
    // A client that never reads never answers the server's pings.
    let mut silent = Client::connect(a.addr(), &bob).await;
    let mut waited = 0;
    while !a.state.hub.sockets().await.is_empty() {
        assert!(waited < 100, "the silent socket is still there after 10 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    assert!(
        waited >= 15,
        "dropped only after the 2 s idle timeout, not before"
    );
    // Its stream ends: with the 1001 close frame, or with an error when the client's late
    // pong replies hit the closed connection first (both seen).
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match silent.ws.next().await {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => {
                    return frame.map(|f| u16::from(f.code));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return None,
            }
        }
    })
    .await
    .expect("the silent socket's stream ends");
    assert!(matches!(ended, Some(1001) | None), "{ended:?}");

    let mut big = Client::connect(a.addr(), &bob).await;
    let huge = format!(r#"{{"v":1,"type":"ping","pad":"{}"}}"#, "x".repeat(20_000));
    big.ws
        .send(tokio_tungstenite::tungstenite::Message::text(huge))
        .await
        .unwrap();
    assert_eq!(big.close_code(Duration::from_secs(5)).await, Some(1009));
    a.stop().await;
}

/// The HTTP status and JSON body of a refused WebSocket handshake.
async fn refused(url: &str) -> (u16, serde_json::Value) {
    use tokio_tungstenite::tungstenite::Error;
    match tokio_tungstenite::connect_async(url).await {
        Err(Error::Http(response)) => {
            let body = response.body().clone().unwrap_or_default();
            (
                response.status().as_u16(),
                serde_json::from_slice(&body).unwrap_or_default(),
            )
        }
        Err(other) => panic!("{url}: {other}"),
        Ok(_) => panic!("{url}: accepted"),
    }
}

#[actix_web::test]
async fn refused_handshakes_and_plain_requests_get_the_api_error_shape() {
    let env = env();
    let a = Replica::start(&env.settings).await;
    let bob = person(&env, "bob");
    let ws = |path: &str| format!("ws://{}{path}", a.addr());

    let (status, body) = refused(&ws("/api/v1/chat/ws")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthorized")),
        "{body}"
    );
    let (status, body) = refused(&ws("/api/v1/chat/ws?access_token=forged")).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["status"], 401);
    // An upgrade anywhere else is a missing route, not a socket.
    let (status, body) = refused(&ws(&format!(
        "/api/v1/chat/rooms?access_token={}",
        bob.token
    )))
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("route_not_found")),
        "{body}"
    );

    // Without an upgrade, the socket path answers 401, then 400 once signed in.
    let http = reqwest::Client::new();
    let plain = http.get(a.url("/api/v1/chat/ws")).send().await.unwrap();
    assert_eq!(plain.status(), 401);
    let plain = http
        .get(a.url("/api/v1/chat/ws"))
        .bearer_auth(&bob.token)
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 400);
    let body: serde_json::Value = plain.json().await.unwrap();
    assert_eq!(body["code"], "bad_request", "{body}");
    // The REST routes are unaffected.
    let rooms = http
        .get(a.url("/api/v1/chat/rooms"))
        .bearer_auth(&bob.token)
        .send()
        .await
        .unwrap();
    assert_eq!(rooms.status(), 200);
    a.stop().await;
}

#[actix_web::test]
async fn a_burst_past_the_send_limit_gets_every_ack_and_one_refusal() {
    let env = env();
    let a = Replica::start(&env.settings).await;
    let (ann, ben) = (person(&env, "ann"), person(&env, "ben"));
    let id = room(&a, &ann, "burst", &[&ben]).await;
    let mut ann_ws = Client::connect(a.addr(), &ann).await;
    let limit = env.settings.chat.send_limit;
    // All sent before reading anything: the frames reach the server together.
    for i in 0..=limit {
        ann_ws
            .say(id, &format!("b{i}"), &format!("burst {i}"))
            .await;
    }
    let (mut acks, mut refused) = (0, Vec::new());
    while acks + refused.len() < limit as usize + 1 {
        let frame = ann_ws
            .next_frame_within(Duration::from_secs(10))
            .await
            .expect("a frame for every send");
        match frame["type"].as_str() {
            Some("ack") => acks += 1,
            Some("error") => refused.push(frame),
            _ => {}
        }
    }
    assert_eq!(acks, limit as usize);
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["code"], "rate_limited");
    a.stop().await;
}
