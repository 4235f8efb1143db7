//! The BERT encoder of all-MiniLM-L6-v2, inference only: weights read with candle, matrix
//! products on faer, everything else in plain loops over row-major `f32` buffers.
//!
//! The same computation as Hugging Face's `BertModel`, arranged for throughput on a few cores:
//!
//! - **Packed tokens.** A pass holds the real tokens of several texts back to back (`[tokens,
//!   hidden]`), with no padding: every dense layer runs on that one matrix, and attention runs per
//!   text and head on views into it, so no mask is needed and no work is spent on padding (with
//!   candle's padded `[rows, seq, hidden]` tensors a batch of 64 typical texts did 15 % more
//!   work than it needed).
//! - **faer's matrix products**, 103–107 GFLOP/s on one core of the project's machines where
//!   candle's `gemm` gave 75–93 for the same shapes (`examples/embed_bench.rs` has the figures).
//! - **Fused passes.** Query, key and value are one product (the 1/sqrt(head size) score scale
//!   folded into the query weights at load); a dense layer's bias is added in the pass that reads
//!   its output anyway (residual + layer norm, or GELU), and buffers are allocated once per pass,
//!   not once per operation.

use std::ops::Range;

use candle_core::Tensor;
use candle_nn::VarBuilder;
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use serde::Deserialize;

/// The fields of `config.json` this encoder needs.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Config {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub hidden_act: String,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    pub layer_norm_eps: f64,
    #[serde(default = "absolute")]
    pub position_embedding_type: String,
}

fn absolute() -> String {
    "absolute".to_owned()
}

fn values(t: Tensor) -> candle_core::Result<Vec<f32>> {
    t.flatten_all()?.to_vec1::<f32>()
}

struct LayerNorm {
    weight: Vec<f32>,
    bias: Vec<f32>,
    eps: f32,
}

impl LayerNorm {
    fn load(vb: VarBuilder, size: usize, eps: f64) -> candle_core::Result<Self> {
        Ok(Self {
            weight: values(vb.get(size, "weight")?)?,
            bias: values(vb.get(size, "bias")?)?,
            eps: eps as f32,
        })
    }

    /// Normalises one row in place: `(x - mean) / sqrt(var + eps) * weight + bias`, with the
    /// population variance, as `torch.nn.LayerNorm` does.
    #[inline(always)]
    fn apply(&self, row: &mut [f32]) {
        let n = row.len() as f32;
        let mean = row.iter().sum::<f32>() / n;
        let var = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / n;
        let inv = 1.0 / (var + self.eps).sqrt();
        for ((v, w), b) in row.iter_mut().zip(&self.weight).zip(&self.bias) {
            *v = (*v - mean) * inv * w + b;
        }
    }
}

/// A dense layer: `weight` row-major `[out, in]` as stored (so `x @ weight^T` is a transposed
/// view, no copy), and its bias.
struct Dense {
    weight: Vec<f32>,
    bias: Vec<f32>,
    inp: usize,
    out: usize,
}

impl Dense {
    fn load(vb: VarBuilder, inp: usize, out: usize) -> candle_core::Result<Self> {
        Ok(Self {
            weight: values(vb.get((out, inp), "weight")?)?,
            bias: values(vb.get(out, "bias")?)?,
            inp,
            out,
        })
    }

    /// `dst = x @ weight^T` (no bias) for `x` row-major `[rows, in]`, `dst` `[rows, out]`.
    fn product(&self, x: &[f32], dst: &mut [f32]) {
        let rows = x.len() / self.inp;
        let lhs = MatRef::from_row_major_slice(x, rows, self.inp);
        let rhs = MatRef::from_row_major_slice(&self.weight, self.out, self.inp).transpose();
        let dst = MatMut::from_row_major_slice_mut(dst, rows, self.out);
        matmul(dst, Accum::Replace, lhs, rhs, 1.0, Par::Seq);
    }
}

struct Layer {
    qkv: Dense,
    attn_out: Dense,
    attn_norm: LayerNorm,
    ff_in: Dense,
    ff_out: Dense,
    ff_norm: LayerNorm,
}

/// The encoder: embeddings, then `num_hidden_layers` transformer layers.
pub(crate) struct Bert {
    word: Vec<f32>,
    position: Vec<f32>,
    token_type0: Vec<f32>,
    embed_norm: LayerNorm,
    layers: Vec<Layer>,
    heads: usize,
    head_dim: usize,
    hidden: usize,
    intermediate: usize,
    vocab: usize,
    max_positions: usize,
}

impl Bert {
    /// Loads the weights named as in Hugging Face's `BertModel` (with or without a `bert.` prefix).
    pub(crate) fn load(vb: VarBuilder, cfg: &Config) -> candle_core::Result<Self> {
        if cfg.hidden_act != "gelu" || cfg.position_embedding_type != "absolute" {
            candle_core::bail!(
                "unsupported hidden_act {:?} / position_embedding_type {:?}",
                cfg.hidden_act,
                cfg.position_embedding_type
            );
        }
        let h = cfg.hidden_size;
        let heads = cfg.num_attention_heads;
        if heads == 0 || !h.is_multiple_of(heads) {
            candle_core::bail!("hidden_size {h} is not a multiple of {heads} heads");
        }
        let head_dim = h / heads;
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        let e = vb.pp("embeddings");
        let token_types = e.get((cfg.type_vocab_size, h), "token_type_embeddings.weight")?;
        let embed_norm = LayerNorm::load(e.pp("LayerNorm"), h, cfg.layer_norm_eps)?;
        let scale = 1.0 / (head_dim as f64).sqrt();
        let layers = (0..cfg.num_hidden_layers)
            .map(|i| {
                let l = vb.pp(format!("encoder.layer.{i}"));
                let a = l.pp("attention");
                let s = a.pp("self");
                let part = |name: &str, scale: f64| -> candle_core::Result<(Tensor, Tensor)> {
                    let p = s.pp(name);
                    Ok((
                        (p.get((h, h), "weight")? * scale)?,
                        (p.get(h, "bias")? * scale)?,
                    ))
                };
                let (qw, qb) = part("query", scale)?;
                let (kw, kb) = part("key", 1.0)?;
                let (vw, vb_) = part("value", 1.0)?;
                // Rows of [out, in]: query's outputs, then key's, then value's.
                let qkv = Dense {
                    weight: values(Tensor::cat(&[qw, kw, vw], 0)?)?,
                    bias: values(Tensor::cat(&[qb, kb, vb_], 0)?)?,
                    inp: h,
                    out: 3 * h,
                };
                Ok(Layer {
                    qkv,
                    attn_out: Dense::load(a.pp("output").pp("dense"), h, h)?,
                    attn_norm: LayerNorm::load(
                        a.pp("output").pp("LayerNorm"),
                        h,
                        cfg.layer_norm_eps,
                    )?,
                    ff_in: Dense::load(l.pp("intermediate").pp("dense"), h, cfg.intermediate_size)?,
                    ff_out: Dense::load(l.pp("output").pp("dense"), cfg.intermediate_size, h)?,
                    ff_norm: LayerNorm::load(
                        l.pp("output").pp("LayerNorm"),
                        h,
                        cfg.layer_norm_eps,
                    )?,
                })
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Self {
            word: values(e.get((cfg.vocab_size, h), "word_embeddings.weight")?)?,
            position: values(e.get(
                (cfg.max_position_embeddings, h),
                "position_embeddings.weight",
            )?)?,
            token_type0: values(token_types.get(0)?)?,
            embed_norm,
            layers,
            heads,
            head_dim,
            hidden: h,
            intermediate: cfg.intermediate_size,
            vocab: cfg.vocab_size,
            max_positions: cfg.max_position_embeddings,
        })
    }

    /// Hidden states, row-major `[tokens, hidden]`, of `texts` packed back to back: text `i`'s
    /// tokens are rows `spans[i]` of the result. All token types are 0.
    pub(crate) fn forward(
        &self,
        texts: &[&[u32]],
    ) -> candle_core::Result<(Vec<f32>, Vec<Range<usize>>)> {
        // The whole pass is compiled once more for AVX2+FMA and for AVX-512 and runs in the best
        // the CPU has: the elementwise loops below then vectorise 8 or 16 wide instead of SSE2's 4.
        pulp::Arch::new().dispatch(Pass { bert: self, texts })
    }

    #[inline(always)]
    fn pass(&self, texts: &[&[u32]]) -> candle_core::Result<(Vec<f32>, Vec<Range<usize>>)> {
        let h = self.hidden;
        let mut spans = Vec::with_capacity(texts.len());
        let mut tokens = 0;
        for ids in texts {
            if ids.len() > self.max_positions {
                candle_core::bail!("{} tokens, at most {}", ids.len(), self.max_positions);
            }
            if let Some(&bad) = ids.iter().find(|&&id| id as usize >= self.vocab) {
                candle_core::bail!("token id {bad} outside the vocabulary of {}", self.vocab);
            }
            spans.push(tokens..tokens + ids.len());
            tokens += ids.len();
        }

        let mut x = vec![0f32; tokens * h];
        for (ids, span) in texts.iter().zip(&spans) {
            for (pos, (&id, row)) in ids
                .iter()
                .zip(x[span.start * h..span.end * h].chunks_exact_mut(h))
                .enumerate()
            {
                let word = &self.word[id as usize * h..][..h];
                let position = &self.position[pos * h..][..h];
                for (((v, w), t), p) in row
                    .iter_mut()
                    .zip(word)
                    .zip(&self.token_type0)
                    .zip(position)
                {
                    *v = w + t + p;
                }
                self.embed_norm.apply(row);
            }
        }

        let longest = spans.iter().map(ExactSizeIterator::len).max().unwrap_or(0);
        let mut qkv = vec![0f32; tokens * 3 * h];
        let mut ctx = vec![0f32; tokens * h];
        let mut out = vec![0f32; tokens * h];
        let mut inner = vec![0f32; tokens * self.intermediate];
        let mut scores = vec![0f32; longest * longest];
        for layer in &self.layers {
            // qkv = x Wqkv^T + b: bias first, then the product accumulates onto it.
            for row in qkv.chunks_exact_mut(3 * h) {
                row.copy_from_slice(&layer.qkv.bias);
            }
            {
                let lhs = MatRef::from_row_major_slice(&x, tokens, h);
                let rhs = MatRef::from_row_major_slice(&layer.qkv.weight, 3 * h, h).transpose();
                let dst = MatMut::from_row_major_slice_mut(&mut qkv, tokens, 3 * h);
                matmul(dst, Accum::Add, lhs, rhs, 1.0, Par::Seq);
            }
            self.attention(&qkv, &spans, &mut scores, &mut ctx);

            layer.attn_out.product(&ctx, &mut out);
            residual_norm(&mut x, &out, &layer.attn_out.bias, &layer.attn_norm);

            layer.ff_in.product(&x, &mut inner);
            bias_gelu(&mut inner, &layer.ff_in.bias);
            layer.ff_out.product(&inner, &mut out);
            residual_norm(&mut x, &out, &layer.ff_out.bias, &layer.ff_norm);
        }
        Ok((x, spans))
    }

    /// Self-attention of each text with itself: for every text and head, `softmax(q k^T) v`
    /// written into that head's columns of `ctx` (the scale is already in q).
    #[inline(always)]
    fn attention(&self, qkv: &[f32], spans: &[Range<usize>], scores: &mut [f32], ctx: &mut [f32]) {
        let (h, d) = (self.hidden, self.head_dim);
        let tokens = qkv.len() / (3 * h);
        let all = MatRef::from_row_major_slice(qkv, tokens, 3 * h);
        let mut ctx = MatMut::from_row_major_slice_mut(ctx, tokens, h);
        for span in spans {
            let len = span.len();
            if len == 0 {
                continue;
            }
            let scores = &mut scores[..len * len];
            for head in 0..self.heads {
                let q = all.submatrix(span.start, head * d, len, d);
                let k = all.submatrix(span.start, h + head * d, len, d);
                let v = all.submatrix(span.start, 2 * h + head * d, len, d);
                let s = MatMut::from_row_major_slice_mut(scores, len, len);
                matmul(s, Accum::Replace, q, k.transpose(), 1.0, Par::Seq);
                for row in scores.chunks_exact_mut(len) {
                    softmax(row);
                }
                let p = MatRef::from_row_major_slice(scores, len, len);
                let dst = ctx.as_mut().submatrix_mut(span.start, head * d, len, d);
                matmul(dst, Accum::Replace, p, v, 1.0, Par::Seq);
            }
        }
    }
}

/// One forward pass as a [`pulp::WithSimd`] operation, so that it is inlined into pulp's
/// per-instruction-set copies (a closure's `call_once` shim would not be).
struct Pass<'a> {
    bert: &'a Bert,
    texts: &'a [&'a [u32]],
}

impl pulp::WithSimd for Pass<'_> {
    type Output = candle_core::Result<(Vec<f32>, Vec<Range<usize>>)>;

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) -> Self::Output {
        self.bert.pass(self.texts)
    }
}

/// `x = norm(x + (y + bias))` row by row: a dense layer's bias, the residual and the layer norm
/// in one pass.
#[inline(always)]
fn residual_norm(x: &mut [f32], y: &[f32], bias: &[f32], norm: &LayerNorm) {
    let h = bias.len();
    for (xr, yr) in x.chunks_exact_mut(h).zip(y.chunks_exact(h)) {
        for ((xv, yv), b) in xr.iter_mut().zip(yr).zip(bias) {
            *xv += yv + b;
        }
        norm.apply(xr);
    }
}

/// Softmax of one row in place, shifted by its maximum as torch does.
#[inline(always)]
fn softmax(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    row.iter_mut().for_each(|v| *v = exp(*v - max));
    let inv = 1.0 / row.iter().sum::<f32>();
    row.iter_mut().for_each(|v| *v *= inv);
}

/// e^x for f32 the way Cephes' `expf` computes it (x = n ln 2 + r, a degree-5 polynomial for
/// e^r, 2^n put into the exponent bits), branch free so loops over it vectorise: within 2e-7
/// relative of the exact value (see the test). Inputs below -87.3 give about 1e-38 instead of
/// a denormal or 0; softmax's shifted inputs are never above 0.
#[inline(always)]
fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // Adding and subtracting 1.5 * 2^23 rounds to the nearest integer without a branch.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.3, 88.3);
    let n = (x * LOG2E + ROUND) - ROUND;
    // ln 2 split in two so that n * C1 is exact.
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 0.166_666_65;
    p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    e * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// `x = gelu(x + bias)` for every row of `x`.
#[inline(always)]
fn bias_gelu(x: &mut [f32], bias: &[f32]) {
    for row in x.chunks_exact_mut(bias.len()) {
        for (v, b) in row.iter_mut().zip(bias) {
            *v = gelu_erf(*v + b);
        }
    }
}

/// `0.5 x (1 + erf(x / sqrt 2))`, the GELU of BERT (Hugging Face's "gelu").
#[inline(always)]
fn gelu_erf(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// erf for f32 as a rational function on [-4, 4] (Eigen's `generic_fast_erf_float`), branch
/// free so loops over it vectorise; within 1e-6 of the exact value (see the test). Plain
/// multiply-adds: `mul_add` is a libm call on a target without FMA.
#[inline(always)]
fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = -2.726_142_4e-10_f32;
    p = p * x2 + 2.770_681_4e-8;
    p = p * x2 + -2.101_024e-6;
    p = p * x2 + -5.692_506_4e-5;
    p = p * x2 + -7.349_906_3e-4;
    p = p * x2 + -2.954_6e-3;
    p = p * x2 + -1.609_603_3e-2;
    let mut q = -1.456_607_2e-5_f32;
    q = q * x2 + -2.133_740_6e-4;
    q = q * x2 + -1.682_827e-3;
    q = q * x2 + -7.373_329e-3;
    q = q * x2 + -1.426_474e-2;
    x * p / q
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// erf in f64 by its Maclaurin series (|x| <= 3) or continued fraction of erfc (|x| > 3).
    fn erf_ref(x: f64) -> f64 {
        let a = x.abs();
        let r = if a <= 3.0 {
            let mut term = a;
            let mut sum = a;
            let mut n = 0.0;
            while term.abs() > 1e-17 * sum.abs() {
                n += 1.0;
                term *= -a * a / n;
                sum += term / (2.0 * n + 1.0);
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        } else {
            // erfc(a) = exp(-a^2)/sqrt(pi) * 1/(a + 1/2/(a + 1/(a + 3/2/(a + ...))))
            let mut f = a;
            for k in (1..60).rev() {
                f = a + (k as f64 / 2.0) / f;
            }
            1.0 - (-a * a).exp() / std::f64::consts::PI.sqrt() / f
        };
        r.copysign(x)
    }

    #[test]
    fn fast_erf_is_accurate() {
        let mut worst = 0f64;
        for i in -60_000..=60_000 {
            let x = i as f64 * 1e-4;
            let d = (erf(x as f32) as f64 - erf_ref(x)).abs();
            worst = worst.max(d);
        }
        assert!(worst < 5e-7, "max |erf error| {worst:e}");
    }

    #[test]
    fn gelu_matches_the_formula() {
        for x in [-2.5f64, -0.5, -1.0, 0.0, 0.75, 1.0, 5.0] {
            let want = 0.5 * x * (1.0 + erf_ref(x / 2f64.sqrt()));
            let got = gelu_erf(x as f32) as f64;
            assert!((got - want).abs() < 1e-6, "gelu({x}) = {got}, want {want}");
        }
    }

    #[test]
    fn fast_exp_is_accurate() {
        let mut worst = 0f64;
        for i in -87_000..=88_000 {
            let x = i as f64 * 1e-3;
            let want = x.exp();
            let d = ((exp(x as f32) as f64 - (x as f32 as f64).exp()) / want).abs();
            worst = worst.max(d);
        }
        assert!(worst < 2e-7, "max relative exp error {worst:e}");
        assert_eq!(exp(0.0), 1.0);
        assert!(exp(-1000.0) < 1e-37 && exp(-1000.0) >= 0.0);
    }

    #[test]
    fn bias_gelu_adds_the_bias_per_column() {
        let mut x = [-3.0f32, -0.5, 0.0, 0.25, 1.0, 6.0];
        bias_gelu(&mut x, &[0.5, 0.0, -1.0]);
        for (g, v) in x.iter().zip([-2.5f32, -0.5, -1.0, 0.75, 1.0, 5.0]) {
            assert!((g - gelu_erf(v)).abs() < 1e-7, "{x:?}");
        }
    }

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let mut row = [1.0f32, 3.0, 2.0, -1000.0];
        softmax(&mut row);
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(
            row[1] > row[2] && row[2] > row[0] && row[3] < 1e-37,
            "{row:?}"
        );
        let mut big = [1e30f32, 1e30];
        softmax(&mut big);
        assert_eq!(big, [0.5, 0.5]);
    }

    #[test]
    fn layer_norm_centres_and_scales() {
        let norm = LayerNorm {
            weight: vec![2.0; 4],
            bias: vec![1.0; 4],
            eps: 0.0,
        };
        let mut row = [1.0f32, 2.0, 3.0, 4.0];
        norm.apply(&mut row);
        // mean 2.5, population variance 1.25
        let s = 1.25f32.sqrt();
        let want = [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s].map(|v| v * 2.0 + 1.0);
        for (g, w) in row.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{row:?} vs {want:?}");
        }
    }

    #[test]
    fn residual_norm_adds_bias_and_residual_before_normalising() {
        let norm = LayerNorm {
            weight: vec![1.0; 2],
            bias: vec![0.0; 2],
            eps: 1e-12,
        };
        // Two rows of width 2: x + y + bias = [0, 2] and [5, 5] (constant row normalises to 0).
        let mut x = vec![1.0f32, 1.0, 2.0, 2.0];
        residual_norm(&mut x, &[-2.0, 0.0, 2.0, 2.0], &[1.0, 1.0], &norm);
        for (g, w) in x.iter().zip([-1.0f32, 1.0, 0.0, 0.0]) {
            assert!((g - w).abs() < 1e-6, "{x:?}");
        }
    }

    #[test]
    fn dense_product_is_x_times_weight_transposed() {
        let dense = Dense {
            // [out 3, in 2]
            weight: vec![1.0, 0.0, 0.0, 1.0, 1.0, 1.0],
            bias: vec![0.0; 3],
            inp: 2,
            out: 3,
        };
        let x = [1.0f32, 2.0, 3.0, 4.0];
        let mut y = [0f32; 6];
        dense.product(&x, &mut y);
        assert_eq!(y, [1.0, 2.0, 3.0, 3.0, 4.0, 7.0]);
    }
}
