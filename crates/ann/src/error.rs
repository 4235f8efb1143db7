use std::path::PathBuf;

/// Everything that can go wrong in an index.
#[derive(Debug, thiserror::Error)]
pub enum AnnError {
    /// A vector of the wrong length.
    #[error("vector has {got} components, the index {expected}")]
    Dimension {
        /// The index's vector length.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A vector with a non-finite component, or the zero vector (cosine needs a direction).
    #[error("invalid vector: {0}")]
    InvalidVector(&'static str),
    /// Index options that cannot work, or that do not match a snapshot.
    #[error("invalid index options: {0}")]
    Options(String),
    /// The usearch library refused an operation.
    #[error("usearch: {0}")]
    Usearch(String),
    /// A snapshot file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A remote index (a vector database behind the trait, e.g. moji-ann-milvus) failed:
    /// unreachable, refused the request or answered something unexpected; the source says which.
    #[error("index backend: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
    /// A snapshot that is damaged or does not belong together.
    #[error("snapshot {path}: {reason}")]
    Snapshot {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

impl AnnError {
    pub(crate) fn usearch(e: impl std::fmt::Display) -> Self {
        AnnError::Usearch(e.to_string())
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| AnnError::Io { path, source }
    }

    pub(crate) fn snapshot(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        AnnError::Snapshot {
            path: path.into(),
            reason: reason.into(),
        }
    }
}
