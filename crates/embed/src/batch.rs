//! The model-free parts of a batch: grouping texts by token count, mean pooling, normalisation.

use std::ops::Range;

/// Most texts in one forward pass (sub-batch).
pub(crate) const MAX_ROWS: usize = 64;
/// Most padded tokens (rows × padded length) in one forward pass: keeps the attention scores and
/// activations of a pass within a few MiB, so a batch of long texts runs as several passes.
pub(crate) const MAX_PADDED_TOKENS: usize = 8192;

/// Splits texts into sub-batches of similar length so that padding stays small.
///
/// `lens` are token counts ([CLS] and [SEP] included). Returns the text indices ordered by
/// descending length and the ranges of that order that form each sub-batch: the first (longest)
/// text of a range sets its padded length, and a text joins only while it is within a quarter (or
/// 8 tokens) of that length and the range stays within `max_rows` rows and `max_padded` padded
/// tokens.
pub(crate) fn plan(
    lens: &[usize],
    max_rows: usize,
    max_padded: usize,
) -> (Vec<usize>, Vec<Range<usize>>) {
    let mut order: Vec<usize> = (0..lens.len()).collect();
    // Stable, so equal lengths keep their input order (deterministic sub-batches).
    order.sort_by(|&a, &b| lens[b].cmp(&lens[a]));
    let max_rows = max_rows.max(1);
    let mut ranges = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let longest = lens[order[start]].max(1);
        let slack = (longest / 4).max(8);
        let rows_cap = max_rows.min((max_padded / longest).max(1));
        let mut end = start + 1;
        while end < order.len() && end - start < rows_cap && lens[order[end]] + slack >= longest {
            end += 1;
        }
        ranges.push(start..end);
        start = end;
    }
    (order, ranges)
}

/// Mean of each row's first `lens[i]` token vectors (the unmasked ones under right padding).
///
/// `hidden` is the row-major `[rows, seq_len, dim]` output of the encoder.
pub(crate) fn mean_pool(
    hidden: &[f32],
    seq_len: usize,
    dim: usize,
    lens: &[usize],
) -> Vec<Vec<f32>> {
    lens.iter()
        .enumerate()
        .map(|(row, &len)| {
            let len = len.min(seq_len);
            let base = row * seq_len * dim;
            let mut sum = vec![0f32; dim];
            for t in 0..len {
                let token = &hidden[base + t * dim..base + (t + 1) * dim];
                for (s, x) in sum.iter_mut().zip(token) {
                    *s += x;
                }
            }
            // sentence-transformers divides by the mask sum clamped to 1e-9.
            let count = (len as f32).max(1e-9);
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
    fn plan_covers_every_index_once_longest_first() {
        let lens = [5, 40, 12, 256, 7, 40, 9, 3];
        let (order, ranges) = plan(&lens, 64, 8192);
        let mut seen: Vec<usize> = order.clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..lens.len()).collect::<Vec<_>>());
        assert!(order.windows(2).all(|w| lens[w[0]] >= lens[w[1]]));
        assert_eq!(ranges.first().map(|r| r.start), Some(0));
        assert_eq!(ranges.last().map(|r| r.end), Some(lens.len()));
        assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
    }

    #[test]
    fn plan_keeps_long_and_short_apart() {
        let lens = [256, 10, 9, 250, 12];
        let (order, ranges) = plan(&lens, 64, 8192);
        let groups: Vec<Vec<usize>> = ranges.iter().map(|r| order[r.clone()].to_vec()).collect();
        assert_eq!(groups, vec![vec![0, 3], vec![4, 1, 2]]);
    }

    #[test]
    fn plan_respects_row_and_token_caps() {
        let lens = vec![100; 50];
        let (_, ranges) = plan(&lens, 64, 1000);
        assert!(ranges.iter().all(|r| r.len() <= 10), "{ranges:?}");
        assert_eq!(ranges.len(), 5);
        let lens = vec![3; 100];
        let (_, ranges) = plan(&lens, 16, 8192);
        assert!(ranges.iter().all(|r| r.len() <= 16), "{ranges:?}");
        let (order, ranges) = plan(&[], 16, 8192);
        assert!(order.is_empty() && ranges.is_empty());
        // A text longer than the token budget still gets a pass of its own.
        let (_, ranges) = plan(&[300, 300], 64, 100);
        assert_eq!(ranges, vec![0..1, 1..2]);
    }

    #[test]
    fn mean_pool_ignores_padding() {
        // Two rows, seq_len 3, dim 2: row 0 has 2 real tokens, row 1 has 3.
        let hidden = [
            1.0, 2.0, 3.0, 4.0, 100.0, 100.0, //
            1.0, 1.0, 2.0, 2.0, 3.0, 3.0,
        ];
        let pooled = mean_pool(&hidden, 3, 2, &[2, 3]);
        assert_eq!(pooled, vec![vec![2.0, 3.0], vec![2.0, 2.0]]);
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
