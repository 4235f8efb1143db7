//! moji-augment: many images like one (the dataset maker's `augment` method, issue 16).
//!
//! A [`Pipeline`] is a list of [`Step`]s, each a [`Transform`] with its own probability and
//! parameter ranges, in the manner of albumentations (the semantics, not its code or presets).
//! Image `i` of a set with seed `s` draws every choice from its own ChaCha8 stream (`s`, `i`),
//! so the same seed gives the same set, in any order and on any number of threads, and every
//! image reports the parameters it was made with ([`Applied`]) for the set's manifest.
//! Geometry, resizing and blur run on OpenCV; colour, noise and cut-outs on the pixels directly.

mod colour;
mod geometry;
mod pixels;
mod transform;

pub use transform::{Range, Transform};

use std::borrow::Cow;

use image::RgbImage;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// What can go wrong making an image.
#[derive(Debug, thiserror::Error)]
pub enum AugmentError {
    /// The input or a setting cannot be used.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// OpenCV refused an operation.
    #[error("opencv: {0}")]
    OpenCv(#[from] opencv::Error),
    /// Encoding or decoding a JPEG failed.
    #[error("jpeg: {0}")]
    Jpeg(#[from] image::ImageError),
}

/// A transform applied with probability `p`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Chance of applying it to an image, 0 … 1.
    pub p: f64,
    /// What it does.
    #[serde(flatten)]
    pub transform: Transform,
}

/// What one image went through: each applied transform with the parameters drawn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Applied {
    /// The transform's name.
    pub name: &'static str,
    /// The parameters drawn for this image.
    pub params: Value,
}

/// Turns one image into many like it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    /// Side of the square output images, in pixels.
    pub size: u32,
    /// Applied in order; an image not cropped by a `random_resized_crop` is resized whole.
    pub steps: Vec<Step>,
}

/// Sides the pipeline makes.
pub const SIZES: std::ops::RangeInclusive<u32> = 16..=1024;

impl Pipeline {
    /// The dataset maker's default: a crop of most of the image, a flip, a mild affine and
    /// perspective, colour jitter, and each of blur, noise, cut-out and JPEG now and then.
    pub fn standard(size: u32) -> Self {
        let step = |p: f64, transform: Transform| Step { p, transform };
        Self {
            size,
            steps: vec![
                step(
                    1.0,
                    Transform::RandomResizedCrop {
                        scale: Range(0.6, 1.0),
                        ratio: Range(0.8, 1.25),
                    },
                ),
                step(0.5, Transform::HorizontalFlip),
                step(
                    0.6,
                    Transform::Affine {
                        rotate: Range(-15.0, 15.0),
                        scale: Range(0.9, 1.1),
                        translate: Range(-0.06, 0.06),
                        shear: Range(-8.0, 8.0),
                    },
                ),
                step(
                    0.3,
                    Transform::Perspective {
                        scale: Range(0.02, 0.08),
                    },
                ),
                step(
                    0.8,
                    Transform::ColorJitter {
                        brightness: 0.2,
                        contrast: 0.2,
                        saturation: 0.3,
                        hue: 0.04,
                    },
                ),
                step(
                    0.2,
                    Transform::GaussianBlur {
                        sigma: Range(0.3, 1.2),
                    },
                ),
                step(
                    0.3,
                    Transform::GaussianNoise {
                        std: Range(2.0, 10.0),
                    },
                ),
                step(
                    0.25,
                    Transform::Cutout {
                        holes: Range(1.0, 3.0),
                        size: Range(0.08, 0.2),
                    },
                ),
                step(
                    0.3,
                    Transform::JpegQuality {
                        quality: Range(55.0, 95.0),
                    },
                ),
            ],
        }
    }

    /// Why this pipeline cannot run, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if !SIZES.contains(&self.size) {
            return Some(format!(
                "size must lie in {} … {}",
                SIZES.start(),
                SIZES.end()
            ));
        }
        self.steps.iter().find_map(|s| {
            if (0.0..=1.0).contains(&s.p) {
                s.transform.problem()
            } else {
                Some(format!("{}: p must lie in [0, 1]", s.transform.name()))
            }
        })
    }

    /// Image `index` of the set with `seed`: always the same for the same four inputs.
    pub fn make(
        &self,
        source: &RgbImage,
        seed: u64,
        index: u64,
    ) -> Result<(RgbImage, Vec<Applied>), AugmentError> {
        if let Some(problem) = self.problem() {
            return Err(AugmentError::InvalidInput(problem));
        }
        if source.width() < 2 || source.height() < 2 {
            return Err(AugmentError::InvalidInput("the image is too small".into()));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(index);
        let mut applied = Vec::new();
        let square = (self.size, self.size);
        let mut image = Cow::Borrowed(source);
        for step in &self.steps {
            // Drawn whether or not the step applies, so one step's parameters never shift
            // another's draws.
            let roll: f64 = rng.random();
            if roll >= step.p {
                continue;
            }
            let mut step_rng = ChaCha8Rng::seed_from_u64(rng.random());
            // A crop makes the output size itself; every other transform works at it.
            let crops = matches!(step.transform, Transform::RandomResizedCrop { .. });
            if !crops && image.dimensions() != square {
                image = Cow::Owned(geometry::resize(&image, self.size)?);
            }
            let (next, params) = self.run(&step.transform, &image, &mut step_rng)?;
            applied.push(Applied {
                name: step.transform.name(),
                params,
            });
            image = Cow::Owned(next);
        }
        let image = if image.dimensions() == square {
            image.into_owned()
        } else {
            geometry::resize(&image, self.size)?
        };
        Ok((image, applied))
    }

    /// Applies one transform to `image` (already at the output size unless it is a crop).
    fn run(
        &self,
        transform: &Transform,
        image: &RgbImage,
        rng: &mut ChaCha8Rng,
    ) -> Result<(RgbImage, Value), AugmentError> {
        match *transform {
            Transform::RandomResizedCrop { scale, ratio } => {
                geometry::random_resized_crop(image, self.size, scale, ratio, rng)
            }
            Transform::HorizontalFlip => Ok((geometry::flip(image, true)?, json!({}))),
            Transform::VerticalFlip => Ok((geometry::flip(image, false)?, json!({}))),
            Transform::Affine {
                rotate,
                scale,
                translate,
                shear,
            } => {
                let params = geometry::AffineParams {
                    rotate: rotate.draw(rng),
                    scale: scale.draw(rng),
                    translate_x: translate.draw(rng),
                    translate_y: translate.draw(rng),
                    shear: shear.draw(rng),
                };
                Ok((geometry::affine(image, &params)?, params.to_json()))
            }
            Transform::Perspective { scale } => {
                let limit = scale.draw(rng);
                let corners: [f64; 8] =
                    std::array::from_fn(|_| rng.random_range(-1.0..=1.0) * limit);
                Ok((
                    geometry::perspective(image, &corners)?,
                    json!({"scale": limit, "corners": corners}),
                ))
            }
            Transform::ColorJitter {
                brightness,
                contrast,
                saturation,
                hue,
            } => {
                let jitter = colour::Jitter {
                    brightness: 1.0 + Range(-brightness, brightness).draw(rng),
                    contrast: 1.0 + Range(-contrast, contrast).draw(rng),
                    saturation: 1.0 + Range(-saturation, saturation).draw(rng),
                    hue: Range(-hue, hue).draw(rng),
                };
                Ok((colour::jitter(image, &jitter), jitter.to_json()))
            }
            Transform::GaussianBlur { sigma } => {
                let sigma = sigma.draw(rng);
                Ok((geometry::blur(image, sigma)?, json!({"sigma": sigma})))
            }
            Transform::GaussianNoise { std } => {
                let std = std.draw(rng);
                let noise_seed: u64 = rng.random();
                Ok((
                    pixels::noise(image, std, noise_seed),
                    json!({"std": std, "seed": noise_seed}),
                ))
            }
            Transform::Cutout { holes, size } => {
                let count = holes.draw(rng).round() as u32;
                let side = f64::from(self.size);
                let boxes: Vec<[u32; 4]> = (0..count)
                    .map(|_| {
                        let s = (size.draw(rng) * side).round().max(1.0) as u32;
                        let s = s.min(self.size);
                        let x = rng.random_range(0..=self.size - s);
                        let y = rng.random_range(0..=self.size - s);
                        [x, y, s, s]
                    })
                    .collect();
                Ok((pixels::cutout(image, &boxes), json!({"boxes": boxes})))
            }
            Transform::JpegQuality { quality } => {
                let quality = quality.draw(rng).round().clamp(1.0, 100.0) as u8;
                Ok((pixels::jpeg(image, quality)?, json!({"quality": quality})))
            }
        }
    }
}

#[cfg(test)]
mod tests;
