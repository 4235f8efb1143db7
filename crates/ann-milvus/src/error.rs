use moji_ann::AnnError;

/// Everything that can go wrong talking to Milvus.
#[derive(Debug, thiserror::Error)]
pub enum MilvusError {
    /// Options that cannot work (empty or malformed URL, bad collection name, zero dimension).
    #[error("invalid Milvus options: {0}")]
    Options(String),
    /// A vector of the wrong length.
    #[error("vector has {got} components, the collection {expected}")]
    Dimension {
        /// The collection's vector length.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A vector with a non-finite component, or the zero vector (cosine needs a direction).
    #[error("invalid vector: {0}")]
    InvalidVector(&'static str),
    /// The request did not get an HTTP answer (refused, reset, timed out, ...).
    #[error("milvus {path}: {source}")]
    Transport {
        /// The REST path, e.g. `/v1/vector/search`.
        path: &'static str,
        /// The cause.
        #[source]
        source: Box<ureq::Error>,
    },
    /// An HTTP status other than 200 (REST v1 answers 200 even for its own errors, so this is a
    /// proxy in between, a wrong URL or a server that does not speak REST v1).
    #[error("milvus {path}: HTTP {status}: {body}")]
    Status {
        /// The REST path.
        path: &'static str,
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// Milvus refused the request: the body's `code` was not 200.
    #[error("milvus {path}: code {code}: {message}")]
    Server {
        /// The REST path.
        path: &'static str,
        /// Milvus's error code (e.g. 100 collection not found, 1804 bad insert data).
        code: i64,
        /// Milvus's message.
        message: String,
    },
    /// An answer this client does not understand.
    #[error("milvus {path}: unexpected answer: {reason}")]
    Response {
        /// The REST path.
        path: &'static str,
        /// What was wrong with it.
        reason: String,
    },
    /// The collection exists but is not one this backend made (or not for these options).
    #[error("milvus collection {collection}: {reason}")]
    Schema {
        /// The collection.
        collection: String,
        /// How it differs.
        reason: String,
    },
    /// The collection did not reach `LoadStateLoaded` in time (it cannot be searched before).
    #[error("milvus collection {collection} is not loaded after {secs} s (state {state})")]
    NotLoaded {
        /// The collection.
        collection: String,
        /// How long we waited.
        secs: u64,
        /// The last state Milvus reported.
        state: String,
    },
}

impl MilvusError {
    pub(crate) fn response(path: &'static str, reason: impl Into<String>) -> Self {
        MilvusError::Response {
            path,
            reason: reason.into(),
        }
    }
}

impl From<MilvusError> for AnnError {
    /// Vector problems keep their `AnnError` meaning; everything else is a backend failure.
    fn from(e: MilvusError) -> Self {
        match e {
            MilvusError::Dimension { expected, got } => AnnError::Dimension { expected, got },
            MilvusError::InvalidVector(why) => AnnError::InvalidVector(why),
            other => AnnError::Backend(Box::new(other)),
        }
    }
}
