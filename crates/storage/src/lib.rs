//! Moji object storage: a directory on local disk or an S3-compatible bucket, behind one
//! [`Storage`] handle built from [`moji_config::StorageSettings`].
//!
//! Keys follow the layout `uploads/<user>/<uuid>.<ext>`, `results/<task>/<name>.png`,
//! `datasets/<id>.zip` and are checked by [`validate_key`] on every call. Clients move large
//! files with presigned URLs: real SigV4 URLs on S3, and on the local backend URLs under
//! `public_base_url` signed with HMAC-SHA256 that the api checks with
//! [`Storage::verify_local_url`] before serving or accepting the file.

mod key;
mod signing;
mod sigv4;

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt as _;
use moji_config::{StorageBackend, StorageSettings};
use object_store::{
    aws::{AmazonS3, AmazonS3Builder},
    local::LocalFileSystem,
    path::Path,
    signer::Signer as _,
    Attribute, Attributes, ObjectMeta, ObjectStore, PutMultipartOptions, PutOptions, PutPayload,
    WriteMultipart,
};
use url::Url;

pub use key::{validate_key, MAX_KEY_LEN};
use signing::LocalSigner;

/// Hard upper bound of a presigned URL's lifetime (15 minutes).
pub const MAX_PRESIGN_TTL: Duration = Duration::from_secs(900);

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// No object has this key.
    #[error("object not found: {0}")]
    NotFound(String),
    /// The key is not a valid object key (see [`validate_key`]).
    #[error("invalid object key {0}")]
    InvalidKey(String),
    /// The requested presigned-URL lifetime exceeds 15 min or `presign_ttl_secs`.
    #[error("presigned URL lifetime is too long (at most 900 s and storage.presign_ttl_secs)")]
    TtlTooLong,
    /// The requested presigned-URL lifetime is under one second.
    #[error("presigned URL lifetime must be at least one second")]
    TtlTooShort,
    /// A local signed URL's signature does not match its method, key and expiry.
    #[error("bad signature")]
    BadSignature,
    /// A local signed URL has expired.
    #[error("signed URL has expired")]
    Expired,
    /// The object store failed (I/O, network, S3 error response).
    #[error("object store error: {0}")]
    Backend(#[from] object_store::Error),
    /// The storage settings are unusable.
    #[error("storage configuration: {0}")]
    Config(String),
}

/// Size of the parts an [`ObjectWriter`] sends (S3's smallest part is 5 MiB).
const WRITER_PART_BYTES: usize = 8 * 1024 * 1024;
/// Parts an [`ObjectWriter`] may have in flight before `write` waits.
const WRITER_PARTS_IN_FLIGHT: usize = 2;

/// An object being written in parts (see [`Storage::writer`]).
pub struct ObjectWriter {
    key: String,
    upload: WriteMultipart,
    bytes: u64,
}

impl ObjectWriter {
    /// Appends `data`, waiting while too many parts are still being sent (so memory stays
    /// at a few parts whatever the object's size).
    pub async fn write(&mut self, data: &[u8]) -> Result<(), StorageError> {
        self.upload
            .wait_for_capacity(WRITER_PARTS_IN_FLIGHT)
            .await
            .map_err(|e| backend_error(&self.key, e))?;
        self.upload.write(data);
        self.bytes += data.len() as u64;
        Ok(())
    }

    /// Completes the object; returns its size.
    pub async fn finish(self) -> Result<u64, StorageError> {
        let key = self.key;
        self.upload
            .finish()
            .await
            .map_err(|e| backend_error(&key, e))?;
        tracing::debug!(key, size = self.bytes, "stored object in parts");
        Ok(self.bytes)
    }

    /// Gives the object up: nothing is stored.
    pub async fn abort(self) -> Result<(), StorageError> {
        let key = self.key;
        self.upload
            .abort()
            .await
            .map_err(|e| backend_error(&key, e))
    }
}

/// A presigned upload: where and how to PUT the bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedUpload {
    /// The URL to `PUT` to.
    pub url: Url,
    /// Headers the PUT must carry exactly as given (they are part of the signature).
    pub headers: Vec<(String, String)>,
    /// When the URL stops working.
    pub expires_at: DateTime<Utc>,
}

/// What `head` and `list` report about an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The object's key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// When the object was last written.
    pub last_modified: DateTime<Utc>,
}

impl From<ObjectMeta> for ObjectInfo {
    fn from(meta: ObjectMeta) -> Self {
        Self {
            key: meta.location.to_string(),
            size: meta.size,
            last_modified: meta.last_modified,
        }
    }
}

/// A cheap-to-clone handle on the configured object store.
#[derive(Clone)]
pub struct Storage {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn ObjectStore>,
    backend: Backend,
    max_ttl: Duration,
}

enum Backend {
    Local { signer: LocalSigner, base_url: Url },
    S3 { s3: Arc<AmazonS3>, region: String },
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Storage");
        d.field("backend", &self.backend_name())
            .field("store", &self.inner.store.to_string());
        if let Backend::Local { base_url, .. } = &self.inner.backend {
            d.field("public_base_url", &base_url.as_str());
        }
        d.field("max_ttl", &self.inner.max_ttl).finish()
    }
}

impl Storage {
    /// Builds the backend named in `s`.
    ///
    /// Local: a [`LocalFileSystem`] rooted at `local_root` (created if missing). If
    /// `signing_secret` is empty a random secret is generated and a warning logged: signed
    /// URLs then stop working when the process exits and differ between replicas, which is
    /// fine for development only (production config validation requires a secret).
    ///
    /// S3: path-style requests to `endpoint` (or AWS when empty) for `bucket`. When no access
    /// key is configured the standard `AWS_*` environment is consulted for credentials.
    pub fn from_settings(s: &StorageSettings) -> Result<Self, StorageError> {
        if s.presign_ttl_secs == 0 {
            return Err(StorageError::Config("presign_ttl_secs must be > 0".into()));
        }
        let max_ttl = MAX_PRESIGN_TTL.min(Duration::from_secs(s.presign_ttl_secs));
        let (store, backend): (Arc<dyn ObjectStore>, Backend) = match s.backend {
            StorageBackend::Local => {
                let root = &s.local_root;
                std::fs::create_dir_all(root).map_err(|e| {
                    StorageError::Config(format!("cannot create {}: {e}", root.display()))
                })?;
                let store = LocalFileSystem::new_with_prefix(root)?;
                let base_url = parse_base_url(&s.public_base_url)?;
                let signer = if s.signing_secret.is_empty() {
                    tracing::warn!(
                        "storage.signing_secret is empty: using a random one; signed file URLs \
                         die with this process (set MOJI_STORAGE__SIGNING_SECRET)"
                    );
                    LocalSigner::random()
                } else {
                    LocalSigner::new(s.signing_secret.as_bytes())
                };
                (Arc::new(store), Backend::Local { signer, base_url })
            }
            StorageBackend::S3 => {
                let s3 = Arc::new(build_s3(s)?);
                let region = s.region.clone();
                (s3.clone(), Backend::S3 { s3, region })
            }
        };
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                backend,
                max_ttl,
            }),
        })
    }

    /// `"local"` or `"s3"`.
    pub fn backend_name(&self) -> &'static str {
        match self.inner.backend {
            Backend::Local { .. } => "local",
            Backend::S3 { .. } => "s3",
        }
    }

    /// Longest lifetime `presign_get`/`presign_put` accept: min(15 min, `presign_ttl_secs`).
    pub fn max_presign_ttl(&self) -> Duration {
        self.inner.max_ttl
    }

    /// Writes `bytes` under `key`, replacing any existing object. `content_type` is stored as
    /// the S3 `Content-Type`; the local backend does not keep it.
    pub async fn put(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &str,
    ) -> Result<(), StorageError> {
        let path = to_path(key)?;
        let mut opts = PutOptions::default();
        if matches!(self.inner.backend, Backend::S3 { .. }) && !content_type.is_empty() {
            opts.attributes =
                Attributes::from_iter([(Attribute::ContentType, content_type.to_owned())]);
        }
        let size = bytes.len();
        self.inner
            .store
            .put_opts(&path, PutPayload::from(bytes), opts)
            .await
            .map_err(|e| backend_error(key, e))?;
        tracing::debug!(key, size, "stored object");
        Ok(())
    }

    /// Starts writing `key` piece by piece (a multipart upload on S3, a temporary file renamed
    /// into place locally): nothing is visible under `key` until [`ObjectWriter::finish`], and
    /// [`ObjectWriter::abort`] leaves nothing behind. For objects too large to hold in memory.
    pub async fn writer(
        &self,
        key: &str,
        content_type: &str,
    ) -> Result<ObjectWriter, StorageError> {
        let path = to_path(key)?;
        let mut opts = PutMultipartOptions::default();
        if matches!(self.inner.backend, Backend::S3 { .. }) && !content_type.is_empty() {
            opts.attributes =
                Attributes::from_iter([(Attribute::ContentType, content_type.to_owned())]);
        }
        let upload = self
            .inner
            .store
            .put_multipart_opts(&path, opts)
            .await
            .map_err(|e| backend_error(key, e))?;
        Ok(ObjectWriter {
            key: key.to_owned(),
            upload: WriteMultipart::new_with_chunk_size(upload, WRITER_PART_BYTES),
            bytes: 0,
        })
    }

    /// Reads the whole object; [`StorageError::NotFound`] if there is none.
    pub async fn get(&self, key: &str) -> Result<Bytes, StorageError> {
        let path = to_path(key)?;
        let result = self
            .inner
            .store
            .get(&path)
            .await
            .map_err(|e| backend_error(key, e))?;
        result.bytes().await.map_err(|e| backend_error(key, e))
    }

    /// Size and modification time of an object; [`StorageError::NotFound`] if there is none.
    pub async fn head(&self, key: &str) -> Result<ObjectInfo, StorageError> {
        let path = to_path(key)?;
        let meta = self
            .inner
            .store
            .head(&path)
            .await
            .map_err(|e| backend_error(key, e))?;
        Ok(meta.into())
    }

    /// Removes an object; removing a missing object succeeds (idempotent).
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = to_path(key)?;
        match self.inner.store.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Objects under `prefix`, sorted by key. The prefix is matched by whole segments, like a
    /// directory: `"uploads/u1"` lists `uploads/u1/...` but not `uploads/u10/...`. An empty
    /// prefix lists everything; a trailing `/` is ignored.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectInfo>, StorageError> {
        let prefix = prefix.strip_suffix('/').unwrap_or(prefix);
        let path = if prefix.is_empty() {
            None
        } else {
            Some(to_path(prefix)?)
        };
        let metas: Vec<ObjectMeta> = self.inner.store.list(path.as_ref()).try_collect().await?;
        let mut infos: Vec<ObjectInfo> = metas.into_iter().map(ObjectInfo::from).collect();
        infos.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(infos)
    }

    /// A URL that lets its holder download `key` for `ttl` (1 s ..= [`Self::max_presign_ttl`]).
    pub async fn presign_get(&self, key: &str, ttl: Duration) -> Result<Url, StorageError> {
        self.presign(http::Method::GET, key, ttl).await
    }

    /// A URL that lets its holder upload `key` with an HTTP PUT for `ttl`
    /// (1 s ..= [`Self::max_presign_ttl`]).
    pub async fn presign_put(&self, key: &str, ttl: Duration) -> Result<Url, StorageError> {
        self.presign(http::Method::PUT, key, ttl).await
    }

    /// A URL that lets its holder PUT exactly `bytes` bytes of `content_type` to `key` for
    /// `ttl`: on S3 both headers are part of the SigV4 signature; locally they are part of
    /// the HMAC and checked by [`Self::verify_local_upload`].
    pub async fn presign_upload(
        &self,
        key: &str,
        content_type: &str,
        bytes: u64,
        ttl: Duration,
    ) -> Result<PresignedUpload, StorageError> {
        let path = to_path(key)?;
        if ttl > self.inner.max_ttl {
            return Err(StorageError::TtlTooLong);
        }
        if ttl.as_secs() == 0 {
            return Err(StorageError::TtlTooShort);
        }
        let now = Utc::now();
        let secs = i64::try_from(ttl.as_secs()).map_err(|_| StorageError::TtlTooLong)?;
        let expires_at = now + chrono::Duration::seconds(secs);
        let headers = vec![("Content-Type".to_owned(), content_type.to_owned())];
        let url = match &self.inner.backend {
            Backend::S3 { s3, region } => {
                // object_store knows the object's URL (endpoint, path style); sign it anew.
                let mut base = s3
                    .signed_url(http::Method::PUT, &path, ttl)
                    .await
                    .map_err(|e| backend_error(key, e))?;
                base.set_query(None);
                let credential = s3.credentials().get_credential().await?;
                let signing = sigv4::SigningKey {
                    key_id: &credential.key_id,
                    secret: &credential.secret_key,
                    token: credential.token.as_deref(),
                    region,
                };
                let length = bytes.to_string();
                sigv4::presign(
                    &base,
                    "PUT",
                    &[("content-type", content_type), ("content-length", &length)],
                    &signing,
                    now,
                    ttl.as_secs(),
                )?
            }
            Backend::Local { signer, base_url } => {
                let expires = expires_at.timestamp();
                let bound = format!("{content_type}\n{bytes}");
                let sig = signer.sign_bound("PUT", key, expires, Some(&bound))?;
                let mut url = local_url(base_url, key)?;
                url.query_pairs_mut()
                    .clear()
                    .append_pair("method", "PUT")
                    .append_pair("expires", &expires.to_string())
                    .append_pair("ct", content_type)
                    .append_pair("len", &bytes.to_string())
                    .append_pair("sig", &sig);
                url
            }
        };
        Ok(PresignedUpload {
            url,
            headers,
            expires_at,
        })
    }

    /// Checks a local upload URL made by [`Self::presign_upload`]: key, expiry, the bound
    /// content type and size, and the signature (constant-time).
    pub fn verify_local_upload(
        &self,
        key: &str,
        expires: i64,
        content_type: &str,
        bytes: u64,
        signature: &str,
    ) -> Result<(), StorageError> {
        validate_key(key)?;
        let Backend::Local { signer, .. } = &self.inner.backend else {
            return Err(StorageError::BadSignature);
        };
        let bound = format!("{content_type}\n{bytes}");
        signer.verify_bound("PUT", key, expires, Some(&bound), signature)?;
        if Utc::now().timestamp() > expires {
            return Err(StorageError::Expired);
        }
        Ok(())
    }

    async fn presign(
        &self,
        method: http::Method,
        key: &str,
        ttl: Duration,
    ) -> Result<Url, StorageError> {
        let path = to_path(key)?;
        if ttl > self.inner.max_ttl {
            return Err(StorageError::TtlTooLong);
        }
        if ttl.as_secs() == 0 {
            return Err(StorageError::TtlTooShort);
        }
        match &self.inner.backend {
            Backend::S3 { s3, .. } => Ok(s3
                .signed_url(method, &path, ttl)
                .await
                .map_err(|e| backend_error(key, e))?),
            Backend::Local { signer, base_url } => {
                let secs = i64::try_from(ttl.as_secs()).map_err(|_| StorageError::TtlTooLong)?;
                let expires = Utc::now().timestamp() + secs;
                let sig = signer.sign(method.as_str(), key, expires)?;
                let mut url = local_url(base_url, key)?;
                url.query_pairs_mut()
                    .clear()
                    .append_pair("method", method.as_str())
                    .append_pair("expires", &expires.to_string())
                    .append_pair("sig", &sig);
                Ok(url)
            }
        }
    }

    /// Checks a local-backend signed URL's parts: the request `method`, the object `key` (from
    /// the path) and the `expires` and `sig` query parameters. [`StorageError::BadSignature`]
    /// if they were not signed together by this storage's secret (always, on the S3 backend),
    /// [`StorageError::Expired`] once `expires` (unix seconds) has passed. Constant-time.
    pub fn verify_local_url(
        &self,
        method: &http::Method,
        key: &str,
        expires: i64,
        signature: &str,
    ) -> Result<(), StorageError> {
        validate_key(key)?;
        let Backend::Local { signer, .. } = &self.inner.backend else {
            return Err(StorageError::BadSignature);
        };
        signer.verify(method.as_str(), key, expires, signature)?;
        if Utc::now().timestamp() > expires {
            return Err(StorageError::Expired);
        }
        Ok(())
    }
}

/// `base_url` with the key's segments appended.
fn local_url(base_url: &Url, key: &str) -> Result<Url, StorageError> {
    let mut url = base_url.clone();
    url.path_segments_mut()
        .map_err(|()| StorageError::Config("public_base_url cannot be a base".into()))?
        .pop_if_empty()
        .extend(key.split('/'));
    Ok(url)
}

fn build_s3(s: &StorageSettings) -> Result<AmazonS3, StorageError> {
    if s.bucket.is_empty() {
        return Err(StorageError::Config(
            "storage.bucket must be set for s3".into(),
        ));
    }
    let mut builder = if s.access_key_id.is_empty() {
        // Web identity, container or instance credentials from the standard environment.
        AmazonS3Builder::from_env()
    } else {
        AmazonS3Builder::new()
            .with_access_key_id(&s.access_key_id)
            .with_secret_access_key(&s.secret_access_key)
    };
    builder = builder
        .with_bucket_name(&s.bucket)
        .with_region(&s.region)
        .with_allow_http(s.allow_http)
        .with_virtual_hosted_style_request(false);
    if !s.endpoint.is_empty() {
        builder = builder.with_endpoint(s.endpoint.trim_end_matches('/'));
    }
    Ok(builder.build()?)
}

fn parse_base_url(raw: &str) -> Result<Url, StorageError> {
    let url = Url::parse(raw)
        .map_err(|e| StorageError::Config(format!("public_base_url {raw:?}: {e}")))?;
    if url.cannot_be_a_base() || url.query().is_some() || url.fragment().is_some() {
        return Err(StorageError::Config(format!(
            "public_base_url {raw:?} must be an http(s) URL without query or fragment"
        )));
    }
    Ok(url)
}

fn to_path(key: &str) -> Result<Path, StorageError> {
    validate_key(key)?;
    Path::parse(key).map_err(|e| StorageError::InvalidKey(format!("{key:?}: {e}")))
}

fn backend_error(key: &str, e: object_store::Error) -> StorageError {
    match e {
        object_store::Error::NotFound { .. } => StorageError::NotFound(key.to_owned()),
        other => StorageError::Backend(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(dir: &std::path::Path, secret: &str) -> Storage {
        let mut s = moji_config::Settings::default().storage;
        s.local_root = dir.join("root");
        s.signing_secret = secret.into();
        s.public_base_url = "http://edge.test/api/v1/files/".into();
        Storage::from_settings(&s).unwrap()
    }

    #[tokio::test]
    async fn local_urls_have_the_documented_shape() {
        let dir = tempfile::tempdir().unwrap();
        let st = local(dir.path(), "s3cret");
        assert!(dir.path().join("root").is_dir(), "root is created");
        let before = Utc::now().timestamp();
        let url = st
            .presign_put("uploads/u/a.png", Duration::from_secs(60))
            .await
            .unwrap();
        assert_eq!(url.path(), "/api/v1/files/uploads/u/a.png");
        let q: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(q[0], ("method".into(), "PUT".into()));
        assert_eq!(q[1].0, "expires");
        let expires: i64 = q[1].1.parse().unwrap();
        assert!((before + 60..=Utc::now().timestamp() + 60).contains(&expires));
        assert_eq!(q[2].0, "sig");
        let expected = LocalSigner::new(b"s3cret".to_vec())
            .sign("PUT", "uploads/u/a.png", expires)
            .unwrap();
        assert_eq!(q[2].1, expected);
        st.verify_local_url(&http::Method::PUT, "uploads/u/a.png", expires, &q[2].1)
            .unwrap();
    }

    #[test]
    fn expiry_is_checked_after_the_signature() {
        let dir = tempfile::tempdir().unwrap();
        let st = local(dir.path(), "s3cret");
        let signer = LocalSigner::new(b"s3cret".to_vec());
        let past = Utc::now().timestamp() - 1;
        let sig = signer.sign("GET", "a", past).unwrap();
        assert!(matches!(
            st.verify_local_url(&http::Method::GET, "a", past, &sig),
            Err(StorageError::Expired)
        ));
        // A forged expiry is a bad signature, not an expired one.
        assert!(matches!(
            st.verify_local_url(&http::Method::GET, "a", past + 3600, &sig),
            Err(StorageError::BadSignature)
        ));
        assert!(matches!(
            st.verify_local_url(&http::Method::GET, "../a", past, &sig),
            Err(StorageError::InvalidKey(_))
        ));
    }

    #[tokio::test]
    async fn empty_secret_means_a_random_one_per_instance() {
        let dir = tempfile::tempdir().unwrap();
        let a = local(dir.path(), "");
        let b = local(dir.path(), "");
        let url = a.presign_get("k", Duration::from_secs(10)).await.unwrap();
        let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
        let expires: i64 = q["expires"].parse().unwrap();
        a.verify_local_url(&http::Method::GET, "k", expires, &q["sig"])
            .unwrap();
        assert!(matches!(
            b.verify_local_url(&http::Method::GET, "k", expires, &q["sig"]),
            Err(StorageError::BadSignature)
        ));
        // Clones share the secret.
        a.clone()
            .verify_local_url(&http::Method::GET, "k", expires, &q["sig"])
            .unwrap();
    }

    #[test]
    fn bad_settings_are_config_errors() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = moji_config::Settings::default().storage;
        s.local_root = dir.path().into();
        s.public_base_url = "not a url".into();
        assert!(matches!(
            Storage::from_settings(&s),
            Err(StorageError::Config(_))
        ));
        s.public_base_url = "http://x/files".into();
        s.presign_ttl_secs = 0;
        assert!(matches!(
            Storage::from_settings(&s),
            Err(StorageError::Config(_))
        ));
        s.presign_ttl_secs = 900;
        s.backend = StorageBackend::S3;
        s.bucket = String::new();
        assert!(matches!(
            Storage::from_settings(&s),
            Err(StorageError::Config(_))
        ));
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        s.backend = StorageBackend::Local;
        s.local_root = file.join("below-a-file");
        assert!(matches!(
            Storage::from_settings(&s),
            Err(StorageError::Config(_))
        ));
    }

    #[test]
    fn debug_does_not_leak_the_secret() {
        let dir = tempfile::tempdir().unwrap();
        let st = local(dir.path(), "very-secret-value");
        let shown = format!("{st:?}");
        assert!(shown.contains("local"), "{shown}");
        assert!(!shown.contains("very-secret-value"), "{shown}");
    }
}
