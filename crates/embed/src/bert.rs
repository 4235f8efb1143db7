//! The BERT encoder of all-MiniLM-L6-v2, inference only, on candle's CPU tensors.
//!
//! The same computation as Hugging Face's `BertModel` (and candle-transformers'), arranged for
//! throughput on a few cores: query, key and value are one matrix product (the 1/sqrt(head size)
//! score scale folded into the query weights at load), every dense layer runs on the flattened
//! `[rows × tokens, hidden]` matrix, softmax and layer norm are candle's fused kernels, the mask is
//! added only when a batch is padded, and GELU is one fused pass (bias + activation) with a
//! vectorisable erf accurate to about 1e-7.

use candle_core::{CpuStorage, CustomOp2, Device, Layout, Shape, Tensor};
use candle_nn::VarBuilder;
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

struct LayerNorm {
    weight: Tensor,
    bias: Tensor,
    eps: f32,
}

impl LayerNorm {
    fn load(vb: VarBuilder, size: usize, eps: f64) -> candle_core::Result<Self> {
        Ok(Self {
            weight: vb.get(size, "weight")?,
            bias: vb.get(size, "bias")?,
            eps: eps as f32,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        candle_nn::ops::layer_norm(x, &self.weight, &self.bias, self.eps)
    }
}

/// A dense layer stored as `[in, out]` so that `x @ w` needs no transposed view.
struct Dense {
    w: Tensor,
    b: Tensor,
}

impl Dense {
    fn load(vb: VarBuilder, inp: usize, out: usize) -> candle_core::Result<Self> {
        Ok(Self {
            w: vb.get((out, inp), "weight")?.t()?.contiguous()?,
            b: vb.get(out, "bias")?,
        })
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x.matmul(&self.w)?.broadcast_add(&self.b)
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
    word: Tensor,
    position: Tensor,
    token_type0: Tensor,
    embed_norm: LayerNorm,
    layers: Vec<Layer>,
    heads: usize,
    head_dim: usize,
    hidden: usize,
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
                let q = Dense::load(s.pp("query"), h, h)?;
                let k = Dense::load(s.pp("key"), h, h)?;
                let v = Dense::load(s.pp("value"), h, h)?;
                let qkv = Dense {
                    w: Tensor::cat(&[(q.w * scale)?, k.w, v.w], 1)?,
                    b: Tensor::cat(&[(q.b * scale)?, k.b, v.b], 0)?,
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
            word: e.get((cfg.vocab_size, h), "word_embeddings.weight")?,
            position: e.get(
                (cfg.max_position_embeddings, h),
                "position_embeddings.weight",
            )?,
            token_type0: token_types.get(0)?,
            embed_norm,
            layers,
            heads,
            head_dim,
            hidden: h,
        })
    }

    /// Hidden states `[rows, seq_len, hidden]` for right-padded `ids` `[rows, seq_len]`;
    /// `lens[r]` is the number of real tokens of row `r` (all token types 0).
    pub(crate) fn forward(&self, ids: &Tensor, lens: &[usize]) -> candle_core::Result<Tensor> {
        let (rows, seq) = ids.dims2()?;
        let h = self.hidden;
        let words = self
            .word
            .index_select(&ids.flatten_all()?, 0)?
            .reshape((rows, seq, h))?;
        let positions = self.position.narrow(0, 0, seq)?;
        let x = words
            .broadcast_add(&positions.broadcast_add(&self.token_type0)?)?
            .reshape((rows * seq, h))?;
        let mut x = self.embed_norm.forward(&x)?;

        // Additive mask [rows, 1, 1, seq]: 0 for real tokens, f32::MIN for padding (as HF does).
        let mask = if lens.iter().any(|&l| l < seq) {
            let m: Vec<f32> = lens
                .iter()
                .flat_map(|&l| (0..seq).map(move |t| if t < l { 0.0 } else { f32::MIN }))
                .collect();
            Some(Tensor::from_vec(m, (rows, 1, 1, seq), ids.device())?)
        } else {
            None
        };

        for layer in &self.layers {
            let qkv = layer
                .qkv
                .forward(&x)?
                .reshape((rows, seq, 3, self.heads, self.head_dim))?;
            let part = |i: usize| -> candle_core::Result<Tensor> {
                qkv.narrow(2, i, 1)?
                    .squeeze(2)?
                    .transpose(1, 2)?
                    .contiguous()
            };
            let (q, k, v) = (part(0)?, part(1)?, part(2)?);
            let mut scores = q.matmul(&k.t()?)?;
            if let Some(mask) = &mask {
                scores = scores.broadcast_add(mask)?;
            }
            let probs = candle_nn::ops::softmax_last_dim(&scores)?;
            let ctx = probs
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((rows * seq, h))?;
            let attn = layer.attn_out.forward(&ctx)?;
            x = layer.attn_norm.forward(&(attn + &x)?)?;

            let inner = x
                .matmul(&layer.ff_in.w)?
                .apply_op2_no_bwd(&layer.ff_in.b, &BiasGelu)?;
            let out = layer.ff_out.forward(&inner)?;
            x = layer.ff_norm.forward(&(out + &x)?)?;
        }
        x.reshape((rows, seq, h))
    }

    /// The device the weights live on.
    pub(crate) fn device(&self) -> &Device {
        self.word.device()
    }
}

/// `gelu(x + bias)` with the exact (erf) GELU, over a contiguous `[n, width]` f32 matrix and a
/// `[width]` bias: one pass instead of three.
struct BiasGelu;

impl CustomOp2 for BiasGelu {
    fn name(&self) -> &'static str {
        "bias-gelu-erf"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (CpuStorage::F32(x), CpuStorage::F32(b)) = (s1, s2) else {
            candle_core::bail!("bias-gelu-erf: f32 only");
        };
        let (Some((x0, x1)), Some((b0, b1))) = (l1.contiguous_offsets(), l2.contiguous_offsets())
        else {
            candle_core::bail!("bias-gelu-erf: contiguous inputs only");
        };
        let (x, b) = (&x[x0..x1], &b[b0..b1]);
        let width = b.len();
        if l1.dims().last() != Some(&width) || l2.dims().len() != 1 {
            candle_core::bail!(
                "bias-gelu-erf: bias {:?} for input {:?}",
                l2.dims(),
                l1.dims()
            );
        }
        let mut out = vec![0f32; x.len()];
        for (o_row, x_row) in out.chunks_exact_mut(width).zip(x.chunks_exact(width)) {
            for ((o, &xv), &bv) in o_row.iter_mut().zip(x_row).zip(b) {
                *o = gelu_erf(xv + bv);
            }
        }
        Ok((CpuStorage::F32(out), l1.shape().clone()))
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
    fn bias_gelu_matches_the_formula() {
        let x = Tensor::new(&[[-3.0f32, -0.5, 0.0], [0.25, 1.0, 6.0]], &Device::Cpu).unwrap();
        let b = Tensor::new(&[0.5f32, 0.0, -1.0], &Device::Cpu).unwrap();
        let got = x
            .apply_op2_no_bwd(&b, &BiasGelu)
            .unwrap()
            .to_vec2::<f32>()
            .unwrap();
        let xs = [[-2.5f64, -0.5, -1.0], [0.75, 1.0, 5.0]];
        for (g, x) in got.iter().flatten().zip(xs.iter().flatten()) {
            let want = 0.5 * x * (1.0 + erf_ref(x / 2f64.sqrt()));
            assert!(
                (*g as f64 - want).abs() < 1e-6,
                "gelu({x}) = {g}, want {want}"
            );
        }
    }
}
