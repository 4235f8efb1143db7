//! Sign-in with an OpenID Connect provider against a stand-in provider started by the test (an
//! HTTP server serving discovery, JWKS and the token endpoint, signing ID tokens with a test
//! RSA key; `tests/api/fixtures`), with real PostgreSQL and Redis: the happy path (a new account,
//! then the same one again), linking to an existing account only with its password, and a
//! wrong signature, a wrong nonce, an expired ID token and a replayed code each refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use crate::common::*;
use actix_web::{test::TestRequest, web, App, HttpResponse, HttpServer};
use base64::Engine;
use chrono::{Duration, Utc};
use openidconnect::{
    core::{
        CoreIdToken, CoreIdTokenClaims, CoreIdTokenFields, CoreJsonWebKeySet,
        CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreResponseType, CoreRsaPrivateSigningKey,
        CoreSubjectIdentifierType, CoreTokenResponse, CoreTokenType,
    },
    AccessToken, Audience, AuthUrl, EmptyAdditionalClaims, EmptyAdditionalProviderMetadata,
    EmptyExtraTokenFields, EndUserEmail, IssuerUrl, JsonWebKeyId, JsonWebKeySetUrl, Nonce,
    PrivateSigningKey, ResponseTypes, StandardClaims, SubjectIdentifier, TokenUrl,
};
use serde_json::json;
use sha2::{Digest, Sha256};

const KEY: &str = include_str!("fixtures/oidc-test-key.pem");
const OTHER_KEY: &str = include_str!("fixtures/oidc-other-key.pem");
const CLIENT_ID: &str = "moji-test-client";

/// How the provider misbehaves for the next code it issues.
#[derive(Clone, Copy, PartialEq)]
enum Twist {
    None,
    WrongKey,
    WrongNonce,
    Expired,
}

/// What the person "approved" at the provider: the code's grant.
#[derive(Clone)]
struct Grant {
    challenge: String,
    nonce: String,
    subject: String,
    email: String,
    twist: Twist,
}

#[derive(Default)]
struct Provider {
    grants: HashMap<String, Grant>,
    used: HashSet<String>,
}

struct StandIn {
    base: String,
    state: Arc<Mutex<Provider>>,
    _server: actix_web::rt::task::JoinHandle<std::io::Result<()>>,
}

fn key(pem: &str) -> CoreRsaPrivateSigningKey {
    CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new("k1".into()))).unwrap()
}

impl StandIn {
    async fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(Provider::default()));
        let (b, s) = (base.clone(), state.clone());
        let server = HttpServer::new(move || {
            let (b, s) = (b.clone(), s.clone());
            App::new()
                .app_data(web::Data::new((b, s)))
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(discovery),
                )
                .route("/jwks", web::get().to(jwks))
                .route("/token", web::post().to(token))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run();
        let server = actix_web::rt::spawn(server);
        Self {
            base,
            state,
            _server: server,
        }
    }

    /// The person signs in at the provider for the authorisation URL `location`: returns
    /// the code and the `state` to send back.
    fn approve(
        &self,
        location: &str,
        subject: &str,
        email: &str,
        twist: Twist,
    ) -> (String, String) {
        let url = url::Url::parse(location).unwrap();
        let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], CLIENT_ID);
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["code_challenge_method"], "S256", "PKCE with S256");
        assert!(q["scope"].contains("openid"));
        let code = format!("code-{}", uuid::Uuid::now_v7());
        self.state.lock().unwrap().grants.insert(
            code.clone(),
            Grant {
                challenge: q["code_challenge"].clone(),
                nonce: q["nonce"].clone(),
                subject: subject.into(),
                email: email.into(),
                twist,
            },
        );
        (code, q["state"].clone())
    }
}

type Shared = web::Data<(String, Arc<Mutex<Provider>>)>;

async fn discovery(data: Shared) -> HttpResponse {
    let base = &data.0;
    let meta = CoreProviderMetadata::new(
        IssuerUrl::new(base.clone()).unwrap(),
        AuthUrl::new(format!("{base}/authorize")).unwrap(),
        JsonWebKeySetUrl::new(format!("{base}/jwks")).unwrap(),
        vec![ResponseTypes::new(vec![CoreResponseType::Code])],
        vec![CoreSubjectIdentifierType::Public],
        vec![CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256],
        EmptyAdditionalProviderMetadata {},
    )
    .set_token_endpoint(Some(TokenUrl::new(format!("{base}/token")).unwrap()));
    HttpResponse::Ok().json(meta)
}

async fn jwks() -> HttpResponse {
    HttpResponse::Ok().json(CoreJsonWebKeySet::new(vec![key(KEY).as_verification_key()]))
}

async fn token(data: Shared, form: web::Form<HashMap<String, String>>) -> HttpResponse {
    let refuse = |why: &str| HttpResponse::BadRequest().json(json!({"error": why}));
    let mut provider = data.1.lock().unwrap();
    let code = form.get("code").cloned().unwrap_or_default();
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return refuse("unsupported_grant_type");
    }
    // A code works once.
    if !provider.used.insert(code.clone()) {
        return refuse("invalid_grant");
    }
    let Some(grant) = provider.grants.get(&code).cloned() else {
        return refuse("invalid_grant");
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    if challenge != grant.challenge {
        return refuse("invalid_grant");
    }
    let now = Utc::now();
    let (issued, expires) = match grant.twist {
        Twist::Expired => (now - Duration::minutes(20), now - Duration::minutes(10)),
        _ => (now, now + Duration::minutes(5)),
    };
    let nonce = match grant.twist {
        Twist::WrongNonce => "not-the-nonce".to_owned(),
        _ => grant.nonce.clone(),
    };
    let claims = CoreIdTokenClaims::new(
        IssuerUrl::new(data.0.clone()).unwrap(),
        vec![Audience::new(CLIENT_ID.into())],
        expires,
        issued,
        StandardClaims::new(SubjectIdentifier::new(grant.subject.clone()))
            .set_email(Some(EndUserEmail::new(grant.email.clone())))
            .set_email_verified(Some(true)),
        EmptyAdditionalClaims {},
    )
    .set_nonce(Some(Nonce::new(nonce)));
    let signer = key(if grant.twist == Twist::WrongKey {
        OTHER_KEY
    } else {
        KEY
    });
    let access = AccessToken::new("provider-access-token".into());
    let id_token = CoreIdToken::new(
        claims,
        &signer,
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        Some(&access),
        None,
    )
    .unwrap();
    HttpResponse::Ok().json(CoreTokenResponse::new(
        access,
        CoreTokenType::Bearer,
        CoreIdTokenFields::new(Some(id_token), EmptyExtraTokenFields {}),
    ))
}

async fn api_with(provider: &StandIn) -> TestApi<impl TestApp> {
    let issuer = provider.base.clone();
    spawn_with(move |s| {
        s.oidc.issuer_url = issuer;
        s.oidc.client_id = CLIENT_ID.into();
        s.oidc.client_secret = "test-client-secret".into();
        s.http.public_url = "https://moji.test".into();
    })
    .await
}

/// `GET /auth/oidc/start` → the provider's URL.
async fn start<A: TestApp>(app: &A) -> String {
    let r = send(app, get("/api/v1/auth/oidc/start")).await;
    assert_eq!(r.status, 302, "{}", r.text);
    r.headers
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

/// The callback with `code` and `state`: the `#/oidc?...` query it sends the browser to.
async fn back<A: TestApp>(app: &A, code: &str, state: &str) -> HashMap<String, String> {
    let r = send(
        app,
        get(&format!(
            "/api/v1/auth/oidc/callback?code={code}&state={}",
            url::form_urlencoded::byte_serialize(state.as_bytes()).collect::<String>()
        )),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let to = r.headers.get("location").unwrap().to_str().unwrap();
    let (page, query) = to.split_once('?').unwrap();
    assert_eq!(page, "https://moji.test/#/oidc");
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

async fn exchange<A: TestApp>(app: &A, ticket: &str) -> Reply {
    send(
        app,
        post_json("/api/v1/auth/oidc/exchange", json!({ "ticket": ticket })),
    )
    .await
}

#[actix_web::test]
async fn a_new_person_signs_in_and_comes_back_to_the_same_account() {
    let provider = StandIn::start().await;
    let t = api_with(&provider).await;
    let r = send(&t.app, get("/api/v1/auth/oidc")).await;
    assert_eq!(r.body, json!({"enabled": true, "name": "Google"}));

    let (code, state) = provider.approve(
        &start(&t.app).await,
        "g-123",
        "Mina.Kim@Example.com",
        Twist::None,
    );
    let q = back(&t.app, &code, &state).await;
    let ticket = q
        .get("ticket")
        .unwrap_or_else(|| panic!("signed in: {q:?}"));
    let r = exchange(&t.app, ticket).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["user"]["email"], "mina.kim@example.com");
    assert_eq!(r.body["user"]["username"], "mina_kim");
    let id = r.body["user"]["id"].clone();
    let token = r.body["access_token"].as_str().unwrap().to_owned();
    let me = send(&t.app, get_as("/api/v1/users/me", Some(&token))).await;
    assert_eq!(
        me.body["email_verified"], true,
        "the provider vouched for it"
    );
    // The ticket works once.
    assert_problem(&exchange(&t.app, ticket).await, 401, "invalid_credentials");

    let (code, state) = provider.approve(
        &start(&t.app).await,
        "g-123",
        "mina.kim@example.com",
        Twist::None,
    );
    let q = back(&t.app, &code, &state).await;
    let r = exchange(&t.app, &q["ticket"]).await;
    assert_eq!(r.body["user"]["id"], id, "the same account");
}

#[actix_web::test]
async fn an_existing_address_is_linked_only_with_the_account_password() {
    let provider = StandIn::start().await;
    let t = api_with(&provider).await;
    let owner = someone(&t.app, "jun").await;

    let (code, state) = provider.approve(
        &start(&t.app).await,
        "g-jun",
        "jun@example.com",
        Twist::None,
    );
    let q = back(&t.app, &code, &state).await;
    assert!(
        !q.contains_key("ticket"),
        "not signed in straight away: {q:?}"
    );
    assert_eq!(q["email"], "j***@example.com");
    let link = |ticket: &str, password: &str| {
        post_json(
            "/api/v1/auth/oidc/link",
            json!({"ticket": ticket, "password": password}),
        )
    };
    let wrong = send(&t.app, link(&q["link"], "not the password")).await;
    assert_problem(&wrong, 401, "invalid_credentials");
    // The ticket is gone with the wrong password: start again.
    let again = send(&t.app, link(&q["link"], PASSWORD)).await;
    assert_problem(&again, 401, "invalid_credentials");

    let (code, state) = provider.approve(
        &start(&t.app).await,
        "g-jun",
        "jun@example.com",
        Twist::None,
    );
    let q = back(&t.app, &code, &state).await;
    let r = send(&t.app, link(&q["link"], PASSWORD)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["user"]["id"], owner.id.to_string());
    // Linked: the next sign-in goes straight in.
    let (code, state) = provider.approve(
        &start(&t.app).await,
        "g-jun",
        "jun@example.com",
        Twist::None,
    );
    let q = back(&t.app, &code, &state).await;
    let r = exchange(&t.app, &q["ticket"]).await;
    assert_eq!(r.body["user"]["id"], owner.id.to_string());
}

#[actix_web::test]
async fn forged_stale_and_replayed_sign_ins_are_refused() {
    let provider = StandIn::start().await;
    let t = api_with(&provider).await;
    for (twist, error) in [
        (Twist::WrongKey, "oidc_id_token"),
        (Twist::WrongNonce, "oidc_id_token"),
        (Twist::Expired, "oidc_id_token"),
    ] {
        let (code, state) =
            provider.approve(&start(&t.app).await, "g-eve", "eve@example.com", twist);
        let q = back(&t.app, &code, &state).await;
        assert_eq!(q.get("error").map(String::as_str), Some(error), "{q:?}");
        assert!(!q.contains_key("ticket"));
    }

    // A good code, used once; the same callback again (a replay) and the same code with a
    // fresh state are both refused.
    let (code, state) = provider.approve(
        &start(&t.app).await,
        "g-eve",
        "eve@example.com",
        Twist::None,
    );
    let q = back(&t.app, &code, &state).await;
    assert!(q.contains_key("ticket"), "{q:?}");
    let replay = back(&t.app, &code, &state).await;
    assert_eq!(replay.get("error").map(String::as_str), Some("oidc_state"));
    let (_, fresh_state) = provider.approve(
        &start(&t.app).await,
        "g-eve",
        "eve@example.com",
        Twist::None,
    );
    let reused = back(&t.app, &code, &fresh_state).await;
    assert_eq!(reused.get("error").map(String::as_str), Some("oidc_code"));
    // No account was made by any refused attempt: only the one good sign-in.
    assert_eq!(t.env.db.execute("SELECT * FROM oidc_identities"), 1);

    // The provider said no.
    let r = send(
        &t.app,
        get("/api/v1/auth/oidc/callback?error=access_denied"),
    )
    .await;
    assert!(r
        .headers
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .ends_with("error=provider_access_denied"));
}

#[actix_web::test]
async fn without_settings_there_is_no_provider() {
    let t = spawn().await;
    let r = send(&t.app, get("/api/v1/auth/oidc")).await;
    assert_eq!(r.body["enabled"], false);
    let r = send(&t.app, TestRequest::get().uri("/api/v1/auth/oidc/start")).await;
    assert_problem(&r, 404, "not_found");
}
