//! moji-gan: the dataset maker's `gan` method (docs/datasets.md). A single-image GAN in the
//! spirit of SinGAN: a pyramid of small convolutional generators and patch discriminators,
//! trained coarse to fine on one image so that each learns the patch statistics of its scale;
//! sampling with fresh noise then makes new images with the same textures and parts in new
//! arrangements. Written on `tch` (libtorch 1.13, CPU), the design card's package, and linked
//! only by the inference worker.
//!
//! Training is bounded by time (`TrainConfig::max_seconds`, shared by the scales) and by
//! iterations; `progress` hears each scale's start and end and may stop training. Each sample
//! is reported with its SSIM to the input, and a set with its mean pairwise diversity
//! (1 − SSIM between samples), so a set of copies shows as such.

mod metrics;
mod nets;

use std::{
    ops::ControlFlow,
    time::{Duration, Instant},
};

use image::{imageops, RgbImage};
use serde::Serialize;
use tch::{nn, nn::OptimizerConfig, Device, Kind, Tensor};

pub use metrics::{diversity, ssim};
use nets::{Critic, Generator};

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum GanError {
    /// The request cannot be trained.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// libtorch failed.
    #[error("torch: {0}")]
    Torch(#[from] tch::TchError),
    /// `progress` asked to stop.
    #[error("stopped during scale {0}")]
    Stopped(usize),
}

/// How to train.
#[derive(Debug, Clone, Serialize)]
pub struct TrainConfig {
    /// Side of the finest scale (the images made).
    pub size: u32,
    /// Scales of the pyramid (2..=8), the coarsest 16 px.
    pub scales: usize,
    /// Most training iterations per scale.
    pub iterations: usize,
    /// Training time for all scales together, in seconds.
    pub max_seconds: f64,
    /// Feature maps of every convolution.
    pub channels: i64,
    /// Weight of the reconstruction loss.
    pub reconstruction_weight: f64,
    /// Seed of the weights and of the reconstruction noise.
    pub seed: u64,
}

impl TrainConfig {
    /// A configuration for `size` px within `max_seconds`.
    pub fn new(size: u32, max_seconds: f64, seed: u64) -> Self {
        Self {
            size,
            scales: 4,
            iterations: 800,
            max_seconds,
            channels: 32,
            reconstruction_weight: 10.0,
            seed,
        }
    }

    fn problem(&self) -> Option<String> {
        if !(32..=256).contains(&self.size) {
            return Some(format!("size must be 32 to 256, got {}", self.size));
        }
        if !(2..=8).contains(&self.scales) || self.iterations == 0 || self.channels < 8 {
            return Some("scales must be 2 to 8, iterations > 0, channels >= 8".into());
        }
        if self.max_seconds.is_nan() || self.max_seconds <= 0.0 {
            return Some("max_seconds must be > 0".into());
        }
        None
    }

    /// Sides of the pyramid, coarsest first: from 16 px up to `size` in equal ratios.
    pub fn sides(&self) -> Vec<i64> {
        let (lo, hi) = (16.0f64, f64::from(self.size));
        let n = self.scales;
        (0..n)
            .map(|k| {
                let t = k as f64 / (n - 1) as f64;
                (lo * (hi / lo).powf(t)).round() as i64
            })
            .collect()
    }
}

/// What a scale's training reports.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Progress {
    /// Scale `index` (of `of`) is about to train.
    Scale {
        /// 0 = coarsest.
        index: usize,
        /// Scales in all.
        of: usize,
    },
    /// Scale `index` finished after `iterations`.
    Trained {
        /// 0 = coarsest.
        index: usize,
        /// Iterations it ran.
        iterations: usize,
    },
}

/// How one scale trained (for the manifest).
#[derive(Debug, Clone, Serialize)]
pub struct ScaleReport {
    /// Side in pixels.
    pub side: i64,
    /// Iterations run.
    pub iterations: usize,
    /// Seconds spent.
    pub seconds: f64,
    /// Standard deviation of the noise fed at this scale.
    pub noise: f64,
    /// Last reconstruction error (mean squared, in [-1, 1] units).
    pub reconstruction: f64,
}

/// Noise maps per training step.
const BATCH: i64 = 4;

/// A trained pyramid.
pub struct Trained {
    generators: Vec<Generator>,
    noise: Vec<f64>,
    sides: Vec<i64>,
    /// How each scale trained.
    pub report: Vec<ScaleReport>,
    /// Seconds of training.
    pub seconds: f64,
}

/// An image made from noise.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The image.
    pub image: RgbImage,
    /// The seed of its noise.
    pub noise_seed: u64,
}

/// The square centre of `source`, resized to `side`.
fn square(source: &RgbImage, side: u32) -> RgbImage {
    let (w, h) = source.dimensions();
    let s = w.min(h);
    let crop = imageops::crop_imm(source, (w - s) / 2, (h - s) / 2, s, s).to_image();
    imageops::resize(&crop, side, side, imageops::FilterType::Triangle)
}

/// An image as a `[1, 3, h, w]` tensor in [-1, 1].
fn to_tensor(image: &RgbImage) -> Tensor {
    let (w, h) = image.dimensions();
    let mut planar = vec![0f32; (3 * w * h) as usize];
    let plane = (w * h) as usize;
    for (i, p) in image.pixels().enumerate() {
        for c in 0..3 {
            planar[c * plane + i] = f32::from(p[c]) / 127.5 - 1.0;
        }
    }
    Tensor::of_slice(&planar).view([1, 3, i64::from(h), i64::from(w)])
}

/// A `[1, 3, h, w]` tensor in [-1, 1] as an image.
fn to_image(t: &Tensor) -> Result<RgbImage, GanError> {
    let size = t.size();
    let (h, w) = (size[2], size[3]);
    let bytes = ((t.clamp(-1.0, 1.0) + 1.0) * 127.5)
        .round()
        .to_kind(Kind::Uint8)
        .squeeze_dim(0)
        .permute(&[1, 2, 0])
        .contiguous();
    let data = Vec::<u8>::from(&bytes.view([-1]));
    RgbImage::from_raw(w as u32, h as u32, data)
        .ok_or_else(|| GanError::InvalidInput("tensor of the wrong size".into()))
}

fn upsample(t: &Tensor, side: i64) -> Tensor {
    t.upsample_bilinear2d(&[side, side], false, None, None)
}

/// Trains the pyramid on `source` (any size: its square centre is used).
pub fn train(
    source: &RgbImage,
    cfg: &TrainConfig,
    mut progress: impl FnMut(Progress) -> ControlFlow<()>,
) -> Result<Trained, GanError> {
    if let Some(problem) = cfg.problem() {
        return Err(GanError::InvalidInput(problem));
    }
    let started = Instant::now();
    let budget = Duration::from_secs_f64(cfg.max_seconds / cfg.scales as f64);
    tch::manual_seed(cfg.seed as i64);
    let sides = cfg.sides();
    let reals: Vec<Tensor> = sides
        .iter()
        .map(|&s| to_tensor(&square(source, s as u32)))
        .collect();
    let mut generators: Vec<Generator> = Vec::new();
    let mut noise: Vec<f64> = Vec::new();
    let mut report = Vec::new();
    // The reconstruction path: fixed noise at the coarsest scale, none above.
    let z_rec = Tensor::randn(&[1, 3, sides[0], sides[0]], (Kind::Float, Device::Cpu));
    for (k, real) in reals.iter().enumerate() {
        if progress(Progress::Scale {
            index: k,
            of: sides.len(),
        })
        .is_break()
        {
            return Err(GanError::Stopped(k));
        }
        let side = sides[k];
        let scale_started = Instant::now();
        // What the scales below make of the reconstruction noise, upsampled to this side.
        let rec_prev = if k == 0 {
            Tensor::zeros(&[1, 3, side, side], (Kind::Float, Device::Cpu))
        } else {
            tch::no_grad(|| upsample(&reconstruct(&generators, &sides[..k], &z_rec), side))
        };
        let amp = if k == 0 {
            1.0
        } else {
            0.1 * f64::from((&rec_prev - real).pow_tensor_scalar(2).mean(Kind::Float)).sqrt()
        };
        let mut g_vs = nn::VarStore::new(Device::Cpu);
        let d_vs = nn::VarStore::new(Device::Cpu);
        let generator = Generator::new(&g_vs.root(), cfg.channels);
        let critic = Critic::new(&d_vs.root(), cfg.channels);
        let mut g_opt = nn::Adam {
            beta1: 0.5,
            beta2: 0.999,
            wd: 0.0,
            eps: 1e-8,
            amsgrad: false,
        }
        .build(&g_vs, 5e-4)?;
        let mut d_opt = nn::Adam {
            beta1: 0.5,
            beta2: 0.999,
            wd: 0.0,
            eps: 1e-8,
            amsgrad: false,
        }
        .build(&d_vs, 5e-4)?;
        let z_rec_here = if k == 0 {
            z_rec.shallow_clone()
        } else {
            Tensor::zeros(&[1, 3, side, side], (Kind::Float, Device::Cpu))
        };
        let mut iterations = 0;
        let mut last_rec = 0.0;
        while iterations < cfg.iterations && (iterations < 10 || scale_started.elapsed() < budget) {
            // A random path from the scales below, then fresh noise here.
            let prev = if k == 0 {
                Tensor::zeros(&[BATCH, 3, side, side], (Kind::Float, Device::Cpu))
            } else {
                tch::no_grad(|| {
                    upsample(&sample_path(&generators, &noise, &sides[..k], BATCH), side)
                })
            };
            let z = Tensor::randn(&[BATCH, 3, side, side], (Kind::Float, Device::Cpu)) * amp;
            // Critic: the logistic (non-saturating) GAN loss. One step of each net per
            // iteration on a batch of noise: on this CPU a step costs about the same at any of
            // these sizes (libtorch's per-operation overhead dominates), so batches are free
            // and steps are not; a gradient penalty's double backward would cost three steps.
            let fake = generator.forward(&(&z + &prev), &prev);
            let d_loss = critic.forward(real).neg().softplus().mean(Kind::Float)
                + critic.forward(&fake.detach()).softplus().mean(Kind::Float);
            d_opt.backward_step(&d_loss);
            // Generator: fool the critic and reconstruct the image from the fixed noise.
            let rec = generator.forward(&(&z_rec_here * amp + &rec_prev), &rec_prev);
            let rec_loss = (&rec - real).pow_tensor_scalar(2).mean(Kind::Float);
            last_rec = f64::from(&rec_loss);
            let g_loss = critic.forward(&fake).neg().softplus().mean(Kind::Float)
                + cfg.reconstruction_weight * rec_loss;
            g_opt.backward_step(&g_loss);
            iterations += 1;
        }
        g_vs.freeze();
        report.push(ScaleReport {
            side,
            iterations,
            seconds: scale_started.elapsed().as_secs_f64(),
            noise: amp,
            reconstruction: last_rec,
        });
        // The nets' tensors are shared with the var store: they outlive it.
        drop(d_vs);
        generators.push(generator);
        noise.push(amp);
        if progress(Progress::Trained {
            index: k,
            iterations,
        })
        .is_break()
        {
            return Err(GanError::Stopped(k));
        }
    }
    Ok(Trained {
        generators,
        noise,
        sides,
        report,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// The reconstruction path through `generators` (fixed noise at the coarsest scale).
fn reconstruct(generators: &[Generator], sides: &[i64], z_rec: &Tensor) -> Tensor {
    let mut x = Tensor::zeros(&[1, 3, sides[0], sides[0]], (Kind::Float, Device::Cpu));
    for (k, g) in generators.iter().enumerate() {
        let prev = if k == 0 {
            x.zeros_like()
        } else {
            upsample(&x, sides[k])
        };
        let z = if k == 0 {
            z_rec.shallow_clone()
        } else {
            prev.zeros_like()
        };
        x = g.forward(&(&z + &prev), &prev);
    }
    x
}

/// A random path through `generators`, fresh noise of each scale's amplitude.
fn sample_path(generators: &[Generator], noise: &[f64], sides: &[i64], batch: i64) -> Tensor {
    let mut x = Tensor::zeros(&[batch, 3, sides[0], sides[0]], (Kind::Float, Device::Cpu));
    for (k, g) in generators.iter().enumerate() {
        let side = sides[k];
        let prev = if k == 0 {
            x.zeros_like()
        } else {
            upsample(&x, side)
        };
        let z = Tensor::randn(&[batch, 3, side, side], (Kind::Float, Device::Cpu)) * noise[k];
        x = g.forward(&(&z + &prev), &prev);
    }
    x
}

impl Trained {
    /// Image `index` of a set with `seed`: new noise at every scale, always the same for the
    /// same pair.
    pub fn sample(&self, seed: u64, index: u64) -> Result<Sample, GanError> {
        let noise_seed = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(index);
        tch::manual_seed((noise_seed >> 1) as i64);
        let x = tch::no_grad(|| sample_path(&self.generators, &self.noise, &self.sides, 1));
        Ok(Sample {
            image: to_image(&x)?,
            noise_seed,
        })
    }

    /// The finest side.
    pub fn side(&self) -> i64 {
        self.sides.last().copied().unwrap_or(0)
    }
}

/// The input as the pyramid's finest scale sees it (for SSIM against samples).
pub fn reference(source: &RgbImage, size: u32) -> RgbImage {
    square(source, size)
}

#[cfg(test)]
mod tests;
