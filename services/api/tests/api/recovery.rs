//! Password reset and e-mail verification against real PostgreSQL and Redis and a real local
//! SMTP server (aiosmtpd, started by the test): the mails arrive with their links, tokens are
//! single-use and expire, a reset signs every session out, unknown addresses get the same
//! answer in the same time, and listing products waits for a verified address when set so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use crate::common::*;
use moji_testkit::TestSmtp;
use serde_json::json;

fn over_smtp(smtp: &TestSmtp) -> impl FnOnce(&mut moji_config::Settings) + '_ {
    move |s| {
        s.mail.transport = "smtp".into();
        s.mail.smtp_port = smtp.port();
        s.mail.from = "Moji <no-reply@moji.test>".into();
    }
}

/// The token of the `page` link (`#/reset?token=…`) in a raw mail, if it has one.
fn token_in(mail: &str, page: &str) -> Option<String> {
    let at = mail.find(&format!("#/{page}?token="))? + page.len() + 9;
    Some(
        mail[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect(),
    )
}

/// Sends what is queued and returns every mail the server has for `to`.
async fn mails_to<A>(t: &TestApi<A>, smtp: &TestSmtp, to: &str, at_least: usize) -> Vec<String> {
    moji_api::mail::pass(&t.state).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got: Vec<String> = smtp
            .messages()
            .into_iter()
            .filter(|m| m.contains(&format!("To: {to}")))
            .collect();
        if got.len() >= at_least || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn a_reset_link_works_once_signs_everyone_out_and_expires() {
    let smtp = TestSmtp::start();
    let t = spawn_with(over_smtp(&smtp)).await;
    let alice = someone(&t.app, "alice").await;

    let r = send(
        &t.app,
        post_json(
            "/api/v1/auth/password-reset",
            json!({"email": "Alice@Example.com"}),
        ),
    )
    .await;
    assert_eq!(r.status, 202, "{}", r.text);
    let mails = mails_to(&t, &smtp, "alice@example.com", 2).await;
    let reset = mails
        .iter()
        .find_map(|m| token_in(m, "reset"))
        .expect("a reset mail");
    assert!(mails
        .iter()
        .any(|m| m.contains("From: Moji <no-reply@moji.test>")));

    let confirm = |token: &str, password: &str| {
        post_json(
            "/api/v1/auth/password-reset/confirm",
            json!({"token": token, "new_password": password}),
        )
    };
    let weak = send(&t.app, confirm(&reset, "short")).await;
    assert_problem(&weak, 422, "validation_failed");
    assert_eq!(weak.field(), "new_password");
    let r = send(&t.app, confirm(&reset, "a brand new password")).await;
    assert_eq!(r.status, 204, "{}", r.text);
    // Every session is signed out; the new password works, the old one does not.
    let me = send(&t.app, get_as("/api/v1/users/me", Some(&alice.token))).await;
    assert_eq!(me.status, 401, "{}", me.text);
    assert_eq!(login(&t.app, "alice", PASSWORD).await.status, 401);
    assert_eq!(
        login(&t.app, "alice", "a brand new password").await.status,
        200
    );
    // Single use.
    let again = send(&t.app, confirm(&reset, "another new password")).await;
    assert_problem(&again, 422, "validation_failed");
    assert_eq!(again.field(), "token");
    let junk = send(&t.app, confirm("not-a-token", "another new password")).await;
    assert_problem(&junk, 422, "validation_failed");

    // Expired: a second link, aged past its 30 minutes.
    send(
        &t.app,
        post_json(
            "/api/v1/auth/password-reset",
            json!({"email": "alice@example.com"}),
        ),
    )
    .await;
    let mails = mails_to(&t, &smtp, "alice@example.com", 3).await;
    let second = mails
        .iter()
        .filter_map(|m| token_in(m, "reset"))
        .find(|tok| *tok != reset)
        .expect("a second reset mail");
    t.env
        .db
        .execute("UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE purpose = 'password_reset' AND used_at IS NULL");
    let expired = send(&t.app, confirm(&second, "another new password")).await;
    assert_problem(&expired, 422, "validation_failed");
    assert_eq!(
        login(&t.app, "alice", "a brand new password").await.status,
        200
    );
}

#[actix_web::test]
async fn unknown_addresses_get_the_same_answer_in_the_same_time() {
    let smtp = TestSmtp::start();
    let t = spawn_with(over_smtp(&smtp)).await;
    const N: usize = 15;
    for i in 0..N {
        someone(&t.app, &format!("known{i}")).await;
    }
    moji_api::mail::pass(&t.state).await.unwrap();
    let before = smtp.wait_for(N, Duration::from_secs(10)).len();
    assert_eq!(before, N, "one verification mail per sign-up");

    let ask = |email: String| post_json("/api/v1/auth/password-reset", json!({ "email": email }));
    // Warm-up, then known and unknown interleaved so drift hits both alike.
    send(&t.app, ask("warm@example.com".into())).await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..N {
        let started = Instant::now();
        let r = send(&t.app, ask(format!("known{i}@example.com"))).await;
        known.push(started.elapsed());
        assert_eq!((r.status, r.text.as_str()), (202, ""));
        let started = Instant::now();
        let r = send(&t.app, ask(format!("nobody{i}@example.com"))).await;
        unknown.push(started.elapsed());
        assert_eq!((r.status, r.text.as_str()), (202, ""), "the same answer");
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (k, u) = (median(&mut known), median(&mut unknown));
    let gap = k.abs_diff(u);
    // The same statements run either way; what is left is scheduling noise.
    assert!(
        gap < Duration::from_millis(5) + k.max(u) / 2,
        "known {k:?} vs unknown {u:?}"
    );
    moji_api::mail::pass(&t.state).await.unwrap();
    let after = smtp.wait_for(before + N, Duration::from_secs(10));
    assert_eq!(
        after.len(),
        before + N,
        "mails only for the known addresses"
    );
    assert!(!after.iter().any(|m| m.contains("nobody")));

    // Five an hour per address, known or not.
    for _ in 0..4 {
        send(&t.app, ask("nobody0@example.com".into())).await;
    }
    let r = send(&t.app, ask("nobody0@example.com".into())).await;
    assert_problem(&r, 429, "too_many_attempts");
    let r = send(&t.app, ask("not an address".into())).await;
    assert_problem(&r, 422, "validation_failed");
}

#[actix_web::test]
async fn the_sign_up_mail_verifies_the_address_and_unlocks_selling() {
    let smtp = TestSmtp::start();
    let t = spawn_with(|s| {
        over_smtp(&smtp)(s);
        s.mail.sellers_must_verify = true;
    })
    .await;
    let bob = someone(&t.app, "bob").await;
    let me = send(&t.app, get_as("/api/v1/users/me", Some(&bob.token))).await;
    assert_eq!(me.body["email_verified"], false);
    let product = || {
        bearer(
            post_json(
                "/api/v1/products",
                json!({"name": "귤 한 상자", "price": 12000}),
            ),
            &bob.token,
        )
    };
    let r = send(&t.app, product()).await;
    assert_problem(&r, 403, "forbidden");

    let resend = bearer(
        post_json("/api/v1/users/me/verification", json!({})),
        &bob.token,
    );
    assert_eq!(send(&t.app, resend).await.status, 202);
    let mails = mails_to(&t, &smtp, "bob@example.com", 2).await;
    let tokens: Vec<String> = mails.iter().filter_map(|m| token_in(m, "verify")).collect();
    assert_eq!(tokens.len(), 2, "the sign-up mail and the resent one");

    let verify = |token: &str| post_json("/api/v1/auth/verify-email", json!({ "token": token }));
    let r = send(&t.app, verify(&tokens[1])).await;
    assert_eq!(r.status, 204, "{}", r.text);
    // The other link died with it; each is single-use.
    assert_problem(
        &send(&t.app, verify(&tokens[0])).await,
        422,
        "validation_failed",
    );
    assert_problem(
        &send(&t.app, verify(&tokens[1])).await,
        422,
        "validation_failed",
    );
    let me = send(&t.app, get_as("/api/v1/users/me", Some(&bob.token))).await;
    assert_eq!(me.body["email_verified"], true);
    let r = send(&t.app, product()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let resend = bearer(
        post_json("/api/v1/users/me/verification", json!({})),
        &bob.token,
    );
    assert_problem(&send(&t.app, resend).await, 409, "conflict");

    // A new address is not verified.
    let r = send(
        &t.app,
        bearer(
            patch_json("/api/v1/users/me", json!({"email": "bob2@example.com"})),
            &bob.token,
        ),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["email_verified"], false);
}
