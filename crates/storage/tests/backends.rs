#![allow(clippy::unwrap_used, clippy::expect_used)]
//! One suite, run against the local backend (a temp dir) and a real S3-compatible server
//! (`MOJI_TEST_S3_ENDPOINT`, default http://127.0.0.1:9000, started by scripts/s3-server.sh).
//! Every test gets its own directory or bucket, so they run in parallel.

use std::{collections::HashMap, time::Duration};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use bytes::Bytes;
use hmac::{Hmac, Mac};
use moji_config::{StorageBackend, StorageSettings};
use moji_storage::{Storage, StorageError};
use sha2::Sha256;

const DEFAULT_S3_ENDPOINT: &str = "http://127.0.0.1:9000";
const LOCAL_SECRET: &str = "integration-test-signing-secret-0123456789";

fn settings() -> StorageSettings {
    moji_config::Settings::default().storage
}

/// Local settings rooted in `dir/objects`.
fn local_settings(dir: &tempfile::TempDir) -> StorageSettings {
    let mut s = settings();
    s.backend = StorageBackend::Local;
    s.local_root = dir.path().join("objects");
    s.signing_secret = LOCAL_SECRET.into();
    s.public_base_url = "http://127.0.0.1:8080/api/v1/files".into();
    s
}

/// A local storage in a fresh temp dir (kept alive by the returned guard).
fn local_storage() -> (Storage, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (Storage::from_settings(&local_settings(&dir)).unwrap(), dir)
}

fn s3_endpoint() -> String {
    std::env::var("MOJI_TEST_S3_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| DEFAULT_S3_ENDPOINT.into())
        .trim_end_matches('/')
        .to_owned()
}

/// S3 settings for a fresh bucket on the test server; fails loudly if the server is down.
async fn s3_settings() -> StorageSettings {
    let endpoint = s3_endpoint();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    if let Err(e) = http.get(format!("{endpoint}/")).send().await {
        panic!(
            "the S3 test server at {endpoint} does not answer ({e}): run scripts/s3-server.sh \
             (or set MOJI_TEST_S3_ENDPOINT)"
        );
    }
    let bucket = format!("moji-test-{}", uuid::Uuid::new_v4().simple());
    // moto accepts unsigned requests, so a plain PUT creates the bucket.
    let resp = http
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .unwrap();
    assert!(
        resp.status().is_success(),
        "creating bucket {bucket}: {} {}",
        resp.status(),
        resp.text().await.unwrap_or_default()
    );
    let mut s = settings();
    s.backend = StorageBackend::S3;
    s.bucket = bucket;
    s.endpoint = endpoint;
    s.region = "us-east-1".into();
    s.access_key_id = "test".into();
    s.secret_access_key = "test".into();
    s.allow_http = true;
    s
}

async fn s3_storage() -> Storage {
    Storage::from_settings(&s3_settings().await).unwrap()
}

fn is_not_found(r: &Result<impl std::fmt::Debug, StorageError>, key: &str) -> bool {
    matches!(r, Err(StorageError::NotFound(k)) if k == key)
}

/// The behaviour both backends must share.
async fn exercise(storage: &Storage) {
    let name = storage.backend_name();
    let png = Bytes::from_static(b"\x89PNG\r\n\x1a\nnot really a png");
    let user = "uploads/0190f0e4-7b1c-7cc3-8a55-0d5c2a4b9e01";
    let a = format!("{user}/a.png");
    let b = format!("{user}/nested/b.png");
    let sibling = "uploads/0190f0e4-7b1c-7cc3-8a55-0d5c2a4b9e01x/c.png";

    // Nothing there yet.
    assert!(storage.list(user).await.unwrap().is_empty(), "{name}");
    assert!(is_not_found(&storage.get(&a).await, &a), "{name}");
    assert!(is_not_found(&storage.head(&a).await, &a), "{name}");

    // put / get / head.
    storage.put(&a, png.clone(), "image/png").await.unwrap();
    storage
        .put(&b, Bytes::from_static(b"bb"), "image/png")
        .await
        .unwrap();
    storage
        .put(sibling, Bytes::from_static(b"c"), "image/png")
        .await
        .unwrap();
    assert_eq!(storage.get(&a).await.unwrap(), png, "{name}");
    let info = storage.head(&a).await.unwrap();
    assert_eq!(info.key, a, "{name}");
    assert_eq!(info.size, png.len() as u64, "{name}");
    let age = chrono::Utc::now() - info.last_modified;
    assert!(age < chrono::Duration::minutes(5), "{name}: {info:?}");

    // Overwrite replaces; empty objects work.
    storage
        .put(&a, Bytes::from_static(b"v2"), "image/png")
        .await
        .unwrap();
    assert_eq!(&storage.get(&a).await.unwrap()[..], b"v2", "{name}");
    storage
        .put("results/t1/empty.png", Bytes::new(), "image/png")
        .await
        .unwrap();
    assert!(storage
        .get("results/t1/empty.png")
        .await
        .unwrap()
        .is_empty());

    // list(prefix) matches whole segments, recursively, sorted.
    let keys = |v: Vec<moji_storage::ObjectInfo>| v.into_iter().map(|i| i.key).collect::<Vec<_>>();
    assert_eq!(
        keys(storage.list(user).await.unwrap()),
        [a.as_str(), b.as_str()],
        "{name}"
    );
    assert_eq!(
        keys(storage.list(&format!("{user}/")).await.unwrap()),
        [a.as_str(), b.as_str()],
        "{name}: trailing slash"
    );
    let listed = storage.list(user).await.unwrap();
    assert_eq!(listed[1].size, 2, "{name}");
    assert_eq!(
        keys(storage.list(&format!("{user}/nested")).await.unwrap()),
        [b.as_str()],
        "{name}"
    );
    assert_eq!(
        keys(storage.list("").await.unwrap()),
        [
            "results/t1/empty.png".to_owned(),
            a.clone(),
            b.clone(),
            sibling.to_owned()
        ],
        "{name}: everything"
    );
    assert!(storage.list("datasets").await.unwrap().is_empty(), "{name}");

    // delete, get-after-delete, idempotent delete.
    storage.delete(&a).await.unwrap();
    assert!(is_not_found(&storage.get(&a).await, &a), "{name}");
    assert!(is_not_found(&storage.head(&a).await, &a), "{name}");
    storage.delete(&a).await.unwrap();
    storage.delete("never/existed.png").await.unwrap();
    assert_eq!(
        keys(storage.list(user).await.unwrap()),
        [b.as_str()],
        "{name}"
    );

    // Invalid keys are refused before reaching the backend, by every operation.
    let long = "a".repeat(513);
    for bad in [
        "../x",
        "/abs",
        "",
        "a//b",
        "a/../../etc/passwd",
        "a b",
        "a/",
        long.as_str(),
    ] {
        let invalid = |r: Result<(), StorageError>| matches!(r, Err(StorageError::InvalidKey(_)));
        assert!(
            invalid(storage.put(bad, Bytes::new(), "x/y").await),
            "{name} put {bad:?}"
        );
        assert!(
            invalid(storage.get(bad).await.map(drop)),
            "{name} get {bad:?}"
        );
        assert!(
            invalid(storage.head(bad).await.map(drop)),
            "{name} head {bad:?}"
        );
        assert!(invalid(storage.delete(bad).await), "{name} delete {bad:?}");
        let ttl = Duration::from_secs(60);
        assert!(
            invalid(storage.presign_get(bad, ttl).await.map(drop)),
            "{name} {bad:?}"
        );
        assert!(
            invalid(storage.presign_put(bad, ttl).await.map(drop)),
            "{name} {bad:?}"
        );
    }
    assert!(matches!(
        storage.list("../x").await,
        Err(StorageError::InvalidKey(_))
    ));

    // Presigned URL lifetimes: 1 s ..= 15 min.
    assert_eq!(
        storage.max_presign_ttl(),
        Duration::from_secs(900),
        "{name}"
    );
    for ttl in [
        Duration::from_secs(901),
        Duration::from_secs(3600),
        Duration::from_millis(900_001),
    ] {
        assert!(
            matches!(
                storage.presign_get(&b, ttl).await,
                Err(StorageError::TtlTooLong)
            ),
            "{name} {ttl:?}"
        );
        assert!(
            matches!(
                storage.presign_put(&b, ttl).await,
                Err(StorageError::TtlTooLong)
            ),
            "{name} {ttl:?}"
        );
    }
    assert!(matches!(
        storage.presign_get(&b, Duration::from_millis(500)).await,
        Err(StorageError::TtlTooShort)
    ));
    storage
        .presign_get(&b, Duration::from_secs(900))
        .await
        .unwrap();
    storage
        .presign_put(&b, Duration::from_secs(1))
        .await
        .unwrap();
    written_in_parts(storage).await;
}

/// An object written in parts (several parts, an odd tail) reads back whole; one given up
/// leaves nothing, and nothing is visible before `finish`.
async fn written_in_parts(storage: &Storage) {
    let key = "datasets/parts.zip";
    let piece: Vec<u8> = (0..1_000_003u32).map(|i| (i % 251) as u8).collect();
    let mut writer = storage.writer(key, "application/zip").await.unwrap();
    for _ in 0..19 {
        writer.write(&piece).await.unwrap();
    }
    assert!(
        is_not_found(&storage.head(key).await, key),
        "visible before finish"
    );
    assert_eq!(writer.finish().await.unwrap(), 19 * piece.len() as u64);
    let back = storage.get(key).await.unwrap();
    assert_eq!(back.len(), 19 * piece.len());
    assert!(back.chunks(piece.len()).all(|c| c == piece.as_slice()));

    let dropped = "datasets/dropped.zip";
    let mut writer = storage.writer(dropped, "application/zip").await.unwrap();
    writer.write(&piece).await.unwrap();
    writer.abort().await.unwrap();
    assert!(is_not_found(&storage.head(dropped).await, dropped));
    storage.delete(key).await.unwrap();
}

#[tokio::test]
async fn local_backend_passes_the_suite() {
    let (storage, dir) = local_storage();
    assert_eq!(storage.backend_name(), "local");
    exercise(&storage).await;
    // Objects are plain files under local_root, nowhere else.
    let file = dir
        .path()
        .join("objects/uploads/0190f0e4-7b1c-7cc3-8a55-0d5c2a4b9e01/nested/b.png");
    assert_eq!(std::fs::read(file).unwrap(), b"bb");
    let outside: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(outside.len(), 1, "only objects/ in the temp dir");
}

#[tokio::test]
async fn s3_backend_passes_the_suite() {
    let storage = s3_storage().await;
    assert_eq!(storage.backend_name(), "s3");
    exercise(&storage).await;
    // The S3 backend never accepts local-backend signatures.
    let (local, _dir) = local_storage();
    let url = local
        .presign_get("a/b.png", Duration::from_secs(60))
        .await
        .unwrap();
    let q = query(&url);
    assert!(matches!(
        storage.verify_local_url(
            &http::Method::GET,
            "a/b.png",
            q["expires"].parse().unwrap(),
            &q["sig"]
        ),
        Err(StorageError::BadSignature)
    ));
}

#[tokio::test]
async fn configured_ttl_below_15_min_is_enforced() {
    let (storage, _dir) = {
        let dir = tempfile::tempdir().unwrap();
        let mut s = settings();
        s.local_root = dir.path().into();
        s.presign_ttl_secs = 60;
        (Storage::from_settings(&s).unwrap(), dir)
    };
    let mut s3 = s3_settings().await;
    s3.presign_ttl_secs = 60;
    let s3 = Storage::from_settings(&s3).unwrap();
    for st in [&storage, &s3] {
        assert_eq!(st.max_presign_ttl(), Duration::from_secs(60));
        st.presign_get("k", Duration::from_secs(60)).await.unwrap();
        assert!(matches!(
            st.presign_put("k", Duration::from_secs(61)).await,
            Err(StorageError::TtlTooLong)
        ));
    }
}

/// Presigned PUT, then presigned GET, over plain HTTP against the S3 server.
#[tokio::test]
async fn s3_presigned_put_then_get_over_http() {
    let storage = s3_storage().await;
    let http = reqwest::Client::new();
    let key = "uploads/u1/0190f0e4-aaaa.png";
    let body = Bytes::from_static(b"uploaded through a presigned URL");

    let put_url = storage
        .presign_put(key, Duration::from_secs(300))
        .await
        .unwrap();
    let q: HashMap<String, String> = put_url.query_pairs().into_owned().collect();
    assert_eq!(q["X-Amz-Expires"], "300", "{put_url}");
    assert!(q.contains_key("X-Amz-Signature"), "{put_url}");
    assert!(put_url.path().ends_with(key), "path-style URL: {put_url}");
    let resp = http.put(put_url).body(body.clone()).send().await.unwrap();
    assert!(resp.status().is_success(), "PUT: {}", resp.status());

    // Visible through the API...
    assert_eq!(storage.get(key).await.unwrap(), body);
    assert_eq!(storage.head(key).await.unwrap().size, body.len() as u64);

    // ...and through a presigned GET.
    let get_url = storage
        .presign_get(key, Duration::from_secs(60))
        .await
        .unwrap();
    let resp = http.get(get_url.clone()).send().await.unwrap();
    assert!(resp.status().is_success(), "GET: {}", resp.status());
    assert_eq!(resp.bytes().await.unwrap(), body);
    // The same object without the signature is refused: the presigned query is what grants
    // access. (moto checks that a signature is present, not that it is valid or unexpired.)
    let mut unsigned = get_url.clone();
    unsigned.set_query(None);
    assert_eq!(http.get(unsigned).send().await.unwrap().status(), 403);

    // A presigned GET of a missing object is a 404, not a 200.
    let missing = storage
        .presign_get("uploads/u1/missing.png", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(http.get(missing).send().await.unwrap().status(), 404);

    // Content type given to `put` is stored on S3.
    storage
        .put("results/t/x.png", Bytes::from_static(b"x"), "image/png")
        .await
        .unwrap();
    let url = storage
        .presign_get("results/t/x.png", Duration::from_secs(60))
        .await
        .unwrap();
    let resp = http.get(url).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "image/png");
}

fn query(url: &url::Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

fn sign(method: &str, key: &str, expires: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(LOCAL_SECRET.as_bytes()).unwrap();
    mac.update(format!("{method}\n{key}\n{expires}").as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Local signed URLs: what the api's file route will check.
#[tokio::test]
async fn local_signed_urls_verify_and_resist_tampering() {
    use http::Method;
    let (storage, _dir) = local_storage();
    let key = "uploads/u1/0190f0e4-aaaa.png";

    for (method, url) in [
        (
            Method::GET,
            storage
                .presign_get(key, Duration::from_secs(120))
                .await
                .unwrap(),
        ),
        (
            Method::PUT,
            storage
                .presign_put(key, Duration::from_secs(120))
                .await
                .unwrap(),
        ),
    ] {
        assert_eq!(
            url.as_str().split('?').next().unwrap(),
            format!("http://127.0.0.1:8080/api/v1/files/{key}")
        );
        let q = query(&url);
        assert_eq!(q["method"], method.as_str());
        let expires: i64 = q["expires"].parse().unwrap();
        let now = chrono::Utc::now().timestamp();
        assert!(
            (now + 118..=now + 120).contains(&expires),
            "{expires} vs {now}"
        );
        let sig = &q["sig"];
        assert_eq!(
            sig,
            &sign(method.as_str(), key, expires),
            "documented format"
        );

        storage
            .verify_local_url(&method, key, expires, sig)
            .unwrap();

        let bad = |m: &Method, k: &str, e: i64, s: &str| {
            matches!(
                storage.verify_local_url(m, k, e, s),
                Err(StorageError::BadSignature)
            )
        };
        let other = if method == Method::GET {
            Method::PUT
        } else {
            Method::GET
        };
        assert!(bad(&other, key, expires, sig), "other method");
        assert!(bad(&Method::DELETE, key, expires, sig), "DELETE");
        assert!(
            bad(&method, "uploads/u2/0190f0e4-aaaa.png", expires, sig),
            "other key"
        );
        assert!(bad(&method, key, expires + 3600, sig), "extended expiry");
        let edited = format!(
            "{}{}",
            if sig.starts_with('A') { 'B' } else { 'A' },
            &sig[1..]
        );
        assert!(bad(&method, key, expires, &edited), "edited sig");
        assert!(bad(&method, key, expires, ""), "no sig");
        assert!(matches!(
            storage.verify_local_url(&method, "../etc/passwd", expires, sig),
            Err(StorageError::InvalidKey(_))
        ));
    }

    // Correctly signed but past its expiry.
    let past = chrono::Utc::now().timestamp() - 5;
    assert!(matches!(
        storage.verify_local_url(&Method::GET, key, past, &sign("GET", key, past)),
        Err(StorageError::Expired)
    ));

    // A different secret (another deployment) does not accept these URLs.
    let dir = tempfile::tempdir().unwrap();
    let mut s = settings();
    s.local_root = dir.path().into();
    s.signing_secret = "another-secret-entirely-0123456789abcdef".into();
    let other = Storage::from_settings(&s).unwrap();
    let url = storage
        .presign_get(key, Duration::from_secs(60))
        .await
        .unwrap();
    let q = query(&url);
    assert!(matches!(
        other.verify_local_url(&Method::GET, key, q["expires"].parse().unwrap(), &q["sig"]),
        Err(StorageError::BadSignature)
    ));
}

/// Objects written by one handle are seen by another on the same bucket/dir (no caching).
#[tokio::test]
async fn two_handles_share_state() {
    let dir = tempfile::tempdir().unwrap();
    for s in [local_settings(&dir), s3_settings().await] {
        let a = Storage::from_settings(&s).unwrap();
        let b = Storage::from_settings(&s).unwrap();
        a.put(
            "datasets/d1.zip",
            Bytes::from_static(b"zip"),
            "application/zip",
        )
        .await
        .unwrap();
        assert_eq!(&b.get("datasets/d1.zip").await.unwrap()[..], b"zip");
        b.delete("datasets/d1.zip").await.unwrap();
        assert!(matches!(
            a.get("datasets/d1.zip").await,
            Err(StorageError::NotFound(_))
        ));
    }
}

/// An upload URL on S3 signs the content type and size as headers; the PUT that carries them
/// stores the object with its type.
#[tokio::test]
async fn s3_upload_url_binds_type_and_size() {
    let storage = s3_storage().await;
    let http = reqwest::Client::new();
    let key = "uploads/u1/0190f0e4-bbbb.jpg";
    let body = Bytes::from_static(b"\xFF\xD8\xFF pretend jpeg");
    let up = storage
        .presign_upload(
            key,
            "image/jpeg",
            body.len() as u64,
            Duration::from_secs(120),
        )
        .await
        .unwrap();
    let q = query(&up.url);
    assert_eq!(q["X-Amz-SignedHeaders"], "content-length;content-type;host");
    assert_eq!(q["X-Amz-Expires"], "120");
    assert!(up.url.path().ends_with(key), "{}", up.url);
    assert_eq!(
        up.headers,
        [("Content-Type".to_owned(), "image/jpeg".to_owned())]
    );
    let left = up.expires_at - chrono::Utc::now();
    assert!(left <= chrono::Duration::seconds(120) && left > chrono::Duration::seconds(100));
    let mut put = http.put(up.url.clone()).body(body.clone());
    for (name, value) in &up.headers {
        put = put.header(name, value);
    }
    let resp = put.send().await.unwrap();
    assert!(resp.status().is_success(), "PUT: {}", resp.status());
    assert_eq!(storage.get(key).await.unwrap(), body);
    let get = storage
        .presign_get(key, Duration::from_secs(60))
        .await
        .unwrap();
    let resp = http.get(get).send().await.unwrap();
    assert_eq!(resp.headers()["content-type"], "image/jpeg");
    // Longer than the storage allows is refused before signing.
    assert!(matches!(
        storage
            .presign_upload(key, "image/jpeg", 1, Duration::from_secs(901))
            .await,
        Err(StorageError::TtlTooLong)
    ));
}

/// A local upload URL verifies only with the content type and size it was signed for.
#[tokio::test]
async fn local_upload_url_binds_type_and_size() {
    let (storage, _dir) = local_storage();
    let key = "uploads/u1/0190f0e4-cccc.png";
    let up = storage
        .presign_upload(key, "image/png", 1234, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(up.url.path(), format!("/api/v1/files/{key}"));
    let q = query(&up.url);
    assert_eq!(
        (q["method"].as_str(), q["ct"].as_str(), q["len"].as_str()),
        ("PUT", "image/png", "1234")
    );
    let expires: i64 = q["expires"].parse().unwrap();
    assert_eq!(expires, up.expires_at.timestamp());
    storage
        .verify_local_upload(key, expires, "image/png", 1234, &q["sig"])
        .unwrap();
    for (ct, len, k, exp) in [
        ("image/jpeg", 1234, key, expires),
        ("image/png", 1235, key, expires),
        ("image/png", 1234, "uploads/u1/other.png", expires),
        ("image/png", 1234, key, expires + 60),
    ] {
        assert!(
            matches!(
                storage.verify_local_upload(k, exp, ct, len, &q["sig"]),
                Err(StorageError::BadSignature)
            ),
            "{ct} {len} {k} {exp}"
        );
    }
    // A download signature is not an upload signature, and the other way round.
    assert!(storage
        .verify_local_url(&http::Method::PUT, key, expires, &q["sig"])
        .is_err());
}
