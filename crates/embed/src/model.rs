//! [`Embedder`]: tokenizer + BERT encoder on candle's CPU backend.

use std::path::{Path, PathBuf};

use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

use crate::batch::{l2_normalize, mean_pool, passes, MAX_PASS_TOKENS};
use crate::bert::{Bert, Config};
use crate::{EmbedError, DIM, MAX_TOKENS};

/// all-MiniLM-L6-v2 loaded for CPU inference; `Send + Sync`, so one instance serves every thread.
pub struct Embedder {
    model: Bert,
    tokenizer: Tokenizer,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("dim", &DIM)
            .finish_non_exhaustive()
    }
}

fn read(path: PathBuf) -> Result<(PathBuf, Vec<u8>), EmbedError> {
    match std::fs::read(&path) {
        Ok(bytes) => Ok((path, bytes)),
        Err(source) => Err(EmbedError::Io { path, source }),
    }
}

fn bad(path: &Path, message: impl std::fmt::Display) -> EmbedError {
    EmbedError::Config {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// Checks `1_Pooling/config.json`: this crate implements mean pooling only.
fn check_pooling(dir: &Path) -> Result<(), EmbedError> {
    let (path, bytes) = read(dir.join("1_Pooling").join("config.json"))?;
    let cfg: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| bad(&path, e))?;
    let flag = |key: &str| cfg.get(key).and_then(serde_json::Value::as_bool);
    if flag("pooling_mode_mean_tokens") != Some(true)
        || flag("pooling_mode_cls_token") == Some(true)
        || flag("pooling_mode_max_tokens") == Some(true)
        || flag("pooling_mode_mean_sqrt_len_tokens") == Some(true)
    {
        return Err(bad(&path, "only mean-token pooling is supported"));
    }
    if let Some(d) = cfg
        .get("word_embedding_dimension")
        .and_then(serde_json::Value::as_u64)
    {
        if d != DIM as u64 {
            return Err(bad(
                &path,
                format!("word_embedding_dimension {d}, expected {DIM}"),
            ));
        }
    }
    Ok(())
}

impl Embedder {
    /// Loads the model folder `dir` (`config.json`, `model.safetensors`, `tokenizer.json`, ...).
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        let device = Device::Cpu;

        let (path, bytes) = read(dir.join("config.json"))?;
        let config: Config = serde_json::from_slice(&bytes).map_err(|e| bad(&path, e))?;
        if config.hidden_size != DIM {
            return Err(bad(
                &path,
                format!("hidden_size {}, expected {DIM}", config.hidden_size),
            ));
        }
        if config.max_position_embeddings < MAX_TOKENS {
            return Err(bad(&path, "max_position_embeddings below MAX_TOKENS"));
        }
        check_pooling(dir)?;

        let (path, bytes) = read(dir.join("model.safetensors"))?;
        let tensors =
            candle_core::safetensors::load_buffer(&bytes, &device).map_err(|e| bad(&path, e))?;
        drop(bytes);
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &device);
        let model = Bert::load(vb, &config).map_err(|e| bad(&path, e))?;

        let path = dir.join("tokenizer.json");
        if !path.is_file() {
            return Err(EmbedError::Io {
                path,
                source: std::io::ErrorKind::NotFound.into(),
            });
        }
        let mut tokenizer = Tokenizer::from_file(&path).map_err(|e| bad(&path, e))?;
        // tokenizer.json pads and truncates to 128; sentence-transformers truncates at its
        // max_seq_length (256) and pads per batch, which `embed` does itself.
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(Some(TruncationParams {
                direction: TruncationDirection::Right,
                max_length: MAX_TOKENS,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
            }))
            .map_err(|e| bad(&path, e))?;

        Ok(Self { model, tokenizer })
    }

    /// Token ids of `text` as the model sees it: [CLS] ... [SEP], at most [`MAX_TOKENS`].
    pub fn tokenize(&self, text: &str) -> Result<Vec<u32>, EmbedError> {
        let encoding = self
            .tokenizer
            .encode_fast(text, true)
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Blocking. Mean pooling over each text's tokens, then L2 normalisation; one [`DIM`]-long
    /// unit vector per text, in input order.
    ///
    /// Texts longer than [`MAX_TOKENS`] tokens are truncated. Texts are packed without padding
    /// into passes of at most `MAX_PASS_TOKENS` tokens, so a long text costs the short ones
    /// nothing.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let ids = texts
            .iter()
            .map(|t| self.tokenize(t))
            .collect::<Result<Vec<_>, _>>()?;
        let lens: Vec<usize> = ids.iter().map(Vec::len).collect();
        let mut out = Vec::with_capacity(texts.len());
        for range in passes(&lens, MAX_PASS_TOKENS) {
            let batch: Vec<&[u32]> = ids[range].iter().map(Vec::as_slice).collect();
            out.extend(self.forward(&batch)?);
        }
        Ok(out)
    }

    /// One encoder pass over `rows` packed together; returns their pooled, normalised vectors.
    fn forward(&self, rows: &[&[u32]]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let (hidden, spans) = self.model.forward(rows)?;
        let mut pooled = mean_pool(&hidden, DIM, &spans);
        // An empty token list (not produced by the tokenizer, which always adds [CLS] and [SEP])
        // pools to zeros, which stay zeros.
        pooled.iter_mut().for_each(|v| l2_normalize(v));
        Ok(pooled)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    /// `MOJI_MODELS_DIR`, else `$MOJI_CACHE_DIR/models`, else the workspace's `.cache/models`;
    /// then the model's folder. The same lookup as `tests/reference.rs`.
    fn model_dir() -> PathBuf {
        let models = std::env::var_os("MOJI_MODELS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                std::env::var_os("MOJI_CACHE_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache"))
                    .join("models")
            });
        models.join(crate::MODEL_DIR)
    }

    fn embedder() -> &'static Embedder {
        static E: OnceLock<Embedder> = OnceLock::new();
        E.get_or_init(|| {
            let dir = model_dir();
            Embedder::load(&dir).unwrap_or_else(|e| {
                panic!("loading {}: {e} (run scripts/models.sh)", dir.display())
            })
        })
    }

    fn max_diff(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max)
    }

    fn norm(v: &[f32]) -> f32 {
        v.iter().map(|x| x * x).sum::<f32>().sqrt()
    }

    #[test]
    fn packing_does_not_change_a_vector() {
        let e = embedder();
        let short = e.tokenize("A cat sleeps on the windowsill.").unwrap();
        let long = e
            .tokenize(&"The quick brown fox jumps over the lazy dog. ".repeat(12))
            .unwrap();
        assert!(long.len() > 4 * short.len());
        let alone = e.forward(&[&short]).unwrap();
        // One pass: the short text packed after the long one.
        let padded = e.forward(&[&long, &short]).unwrap();
        let d = max_diff(&alone[0], &padded[1]);
        assert!(d < 1e-5, "packing changed the vector by {d}");
        let long_alone = e.forward(&[&long]).unwrap();
        let d = max_diff(&long_alone[0], &padded[0]);
        assert!(d < 1e-5, "batching changed the long vector by {d}");
    }

    #[test]
    fn batch_keeps_input_order_and_matches_single_texts() {
        let e = embedder();
        let long = "Searching for a quiet place to read. ".repeat(40);
        let texts = [
            "hello",
            long.as_str(),
            "오늘 날씨가 정말 좋네요.",
            "A man is eating food.",
            "",
            "Where can I buy handmade leather wallets in Seoul?",
        ];
        let batch = e.embed(&texts).unwrap();
        assert_eq!(batch.len(), texts.len());
        for (text, v) in texts.iter().zip(&batch) {
            assert_eq!(v.len(), DIM);
            assert!((norm(v) - 1.0).abs() < 1e-5, "{text:?} norm {}", norm(v));
            let single = e.embed(&[text]).unwrap();
            let d = max_diff(&single[0], v);
            assert!(d < 1e-5, "{text:?}: batch and single differ by {d}");
        }
        // Different texts, different vectors (no row mix-up).
        assert!(max_diff(&batch[0], &batch[3]) > 1e-2);
    }

    #[test]
    fn long_input_is_truncated_to_max_tokens() {
        let e = embedder();
        let ids = e.tokenize(&"word ".repeat(1000)).unwrap();
        assert_eq!(ids.len(), MAX_TOKENS);
        assert_eq!((ids[0], ids[MAX_TOKENS - 1]), (101, 102), "[CLS] ... [SEP]");
        let short = e.tokenize("word").unwrap();
        assert_eq!(short, vec![101, 2773, 102]);
    }

    #[test]
    fn empty_inputs() {
        let e = embedder();
        assert!(e.embed(&[]).unwrap().is_empty());
        let v = e.embed(&[""]).unwrap();
        assert_eq!(v.len(), 1);
        assert!((norm(&v[0]) - 1.0).abs() < 1e-5);
    }

    #[test]
    fn missing_model_names_the_file_and_the_script() {
        let err = Embedder::load(Path::new("/nonexistent/moji-embed")).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, EmbedError::Io { .. }), "{err:?}");
        assert!(
            msg.contains("config.json") && msg.contains("scripts/models.sh"),
            "{msg}"
        );
    }
}
