//! The model-free parts of a batch: splitting texts into passes, mean pooling, normalisation.

use std::ops::Range;

/// Most tokens in one forward pass: keeps a pass's activations (the largest is `tokens × 1536`
/// floats, 24 MiB at this size) bounded, so a batch of long texts runs as several passes.
pub(crate) const MAX_PASS_TOKENS: usize = 4096;

/// Splits texts, in input order, into consecutive passes of at most `max_tokens` tokens (a text
/// longer than that gets a pass of its own). `lens` are token counts, [CLS] and [SEP] included.
/// Texts are packed without padding, so their lengths need not be alike.
pub(crate) fn passes(lens: &[usize], max_tokens: usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut tokens = 0;
    for (i, &len) in lens.iter().enumerate() {
        if i > start && tokens + len > max_tokens {
            out.push(start..i);
            start = i;
            tokens = 0;
        }
        tokens += len;
    }
    if start < lens.len() {
        out.push(start..lens.len());
    }
    out
}

/// Mean of each text's token vectors: rows `span` of the row-major `[tokens, dim]` `hidden`.
pub(crate) fn mean_pool(hidden: &[f32], dim: usize, spans: &[Range<usize>]) -> Vec<Vec<f32>> {
    spans
        .iter()
        .map(|span| {
            let mut sum = vec![0f32; dim];
            for token in hidden[span.start * dim..span.end * dim].chunks_exact(dim) {
                for (s, x) in sum.iter_mut().zip(token) {
                    *s += x;
                }
            }
            // sentence-transformers divides by the mask sum clamped to 1e-9.
            let count = (span.len() as f32).max(1e-9);
            sum.iter_mut().for_each(|s| *s /= count);
            sum
        })
        .collect()
}

/// Scales `v` to unit L2 norm in place, as `torch.nn.functional.normalize` does (norm >= 1e-12).
pub(crate) fn l2_normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= norm);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_cover_every_text_once_in_order() {
        let lens = [5, 40, 12, 256, 7, 40, 9, 3];
        let ranges = passes(&lens, 64);
        assert_eq!(ranges.first().map(|r| r.start), Some(0));
        assert_eq!(ranges.last().map(|r| r.end), Some(lens.len()));
        assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
        for r in &ranges {
            let tokens: usize = lens[r.clone()].iter().sum();
            assert!(tokens <= 64 || r.len() == 1, "{r:?}: {tokens} tokens");
        }
        assert_eq!(ranges, vec![0..3, 3..4, 4..8]);
    }

    #[test]
    fn passes_of_nothing_and_of_oversized_texts() {
        assert!(passes(&[], 100).is_empty());
        // A text longer than the token budget still gets a pass of its own.
        assert_eq!(passes(&[300, 300], 100), vec![0..1, 1..2]);
        assert_eq!(passes(&[3; 10], 4096), vec![0..10]);
    }

    #[test]
    fn mean_pool_averages_each_span() {
        // Three tokens of dim 2: text 0 is tokens 0..2, text 1 is token 2.
        let hidden = [1.0, 2.0, 3.0, 4.0, 100.0, 50.0];
        let pooled = mean_pool(&hidden, 2, &[0..2, 2..3]);
        assert_eq!(pooled, vec![vec![2.0, 3.0], vec![100.0, 50.0]]);
    }

    #[test]
    fn l2_normalize_gives_unit_vectors_and_keeps_zero() {
        let mut v = vec![3.0, 4.0];
        l2_normalize(&mut v);
        assert!(
            (v[0] - 0.6).abs() < 1e-7 && (v[1] - 0.8).abs() < 1e-7,
            "{v:?}"
        );
        let mut z = vec![0.0; 4];
        l2_normalize(&mut z);
        assert_eq!(z, vec![0.0; 4]);
    }
}
