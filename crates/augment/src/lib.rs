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

/// A closed range `[min, max]` a parameter is drawn from, uniformly.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Range(pub f64, pub f64);

impl Range {
    fn draw(self, rng: &mut ChaCha8Rng) -> f64 {
        if self.1 <= self.0 {
            self.0
        } else {
            rng.random_range(self.0..=self.1)
        }
    }

    fn valid(self) -> bool {
        self.0.is_finite() && self.1.is_finite() && self.0 <= self.1
    }
}

/// One transform and its parameter ranges.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "name", rename_all = "snake_case")]
pub enum Transform {
    /// A crop of `scale` of the area with aspect ratio in `ratio`, resized to the output size.
    RandomResizedCrop {
        /// Fraction of the source area.
        scale: Range,
        /// Width / height.
        ratio: Range,
    },
    /// Mirror left to right.
    HorizontalFlip,
    /// Mirror top to bottom.
    VerticalFlip,
    /// Rotation (degrees), scale, translation (fraction of the side) and shear (degrees).
    Affine {
        /// Degrees, counter-clockwise.
        rotate: Range,
        /// Zoom factor.
        scale: Range,
        /// Shift as a fraction of the width and height.
        translate: Range,
        /// Horizontal shear in degrees.
        shear: Range,
    },
    /// Each corner moved by up to `scale` of the side, the image warped to match.
    Perspective {
        /// Largest corner shift as a fraction of the side.
        scale: Range,
    },
    /// Brightness, contrast and saturation factors drawn from `1 ± value`, hue turned by up to
    /// `hue` of a full turn.
    ColorJitter {
        /// Brightness spread.
        brightness: f64,
        /// Contrast spread.
        contrast: f64,
        /// Saturation spread.
        saturation: f64,
        /// Hue spread, 0 … 0.5 of a turn.
        hue: f64,
    },
    /// Gaussian blur with a standard deviation in pixels.
    GaussianBlur {
        /// Sigma in pixels.
        sigma: Range,
    },
    /// Additive Gaussian noise, standard deviation in 0–255 units.
    GaussianNoise {
        /// Standard deviation.
        std: Range,
    },
    /// Rectangles filled with grey.
    Cutout {
        /// How many.
        holes: Range,
        /// Side of each as a fraction of the image side.
        size: Range,
    },
    /// A JPEG round trip at a quality in range.
    JpegQuality {
        /// 1 … 100.
        quality: Range,
    },
}

impl Transform {
    /// The transform's name in manifests and settings.
    pub fn name(&self) -> &'static str {
        match self {
            Self::RandomResizedCrop { .. } => "random_resized_crop",
            Self::HorizontalFlip => "horizontal_flip",
            Self::VerticalFlip => "vertical_flip",
            Self::Affine { .. } => "affine",
            Self::Perspective { .. } => "perspective",
            Self::ColorJitter { .. } => "color_jitter",
            Self::GaussianBlur { .. } => "gaussian_blur",
            Self::GaussianNoise { .. } => "gaussian_noise",
            Self::Cutout { .. } => "cutout",
            Self::JpegQuality { .. } => "jpeg_quality",
        }
    }

    /// Why these ranges cannot work, if they cannot.
    fn problem(&self) -> Option<String> {
        let bad = |what: &str| Some(format!("{}: {what}", self.name()));
        match *self {
            Self::RandomResizedCrop { scale, ratio } => {
                if !scale.valid() || scale.0 <= 0.0 || scale.1 > 1.0 {
                    return bad("scale must lie in (0, 1]");
                }
                if !ratio.valid() || ratio.0 <= 0.0 {
                    return bad("ratio must be positive");
                }
                None
            }
            Self::Affine {
                rotate,
                scale,
                translate,
                shear,
            } => {
                if ![rotate, scale, translate, shear].iter().all(|r| r.valid()) || scale.0 <= 0.0 {
                    return bad("ranges must be ordered and the scale positive");
                }
                None
            }
            Self::Perspective { scale } if !scale.valid() || scale.0 < 0.0 || scale.1 > 0.4 => {
                bad("scale must lie in [0, 0.4]")
            }
            Self::ColorJitter {
                brightness,
                contrast,
                saturation,
                hue,
            } => {
                let spreads = [brightness, contrast, saturation];
                if spreads.iter().any(|v| !(0.0..=1.0).contains(v)) || !(0.0..=0.5).contains(&hue) {
                    return bad("spreads must lie in [0, 1] and hue in [0, 0.5]");
                }
                None
            }
            Self::GaussianBlur { sigma } if !sigma.valid() || sigma.0 < 0.0 || sigma.1 > 20.0 => {
                bad("sigma must lie in [0, 20]")
            }
            Self::GaussianNoise { std } if !std.valid() || std.0 < 0.0 || std.1 > 128.0 => {
                bad("std must lie in [0, 128]")
            }
            Self::Cutout { holes, size }
                if !holes.valid()
                    || holes.0 < 0.0
                    || holes.1 > 16.0
                    || !size.valid()
                    || size.0 < 0.0
                    || size.1 > 1.0 =>
            {
                bad("holes must lie in [0, 16] and size in [0, 1]")
            }
            Self::JpegQuality { quality }
                if !quality.valid() || quality.0 < 1.0 || quality.1 > 100.0 =>
            {
                bad("quality must lie in [1, 100]")
            }
            _ => None,
        }
    }
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
        let mut image: Option<RgbImage> = None;
        for step in &self.steps {
            // Drawn whether or not the step applies, so one step's parameters never shift
            // another's draws.
            let roll: f64 = rng.random();
            if roll >= step.p {
                continue;
            }
            let mut step_rng = ChaCha8Rng::seed_from_u64(rng.random());
            let current = image.as_ref().unwrap_or(source);
            let (next, params) = self.run(&step.transform, current, &mut step_rng)?;
            applied.push(Applied {
                name: step.transform.name(),
                params,
            });
            image = Some(next);
        }
        let image = match image {
            Some(image) if image.dimensions() == (self.size, self.size) => image,
            Some(image) => geometry::resize(&image, self.size)?,
            None => geometry::resize(source, self.size)?,
        };
        Ok((image, applied))
    }

    /// Applies one transform; a crop outputs the pipeline's size, and the first transform that
    /// is not a crop works on the source resized to it.
    fn run(
        &self,
        transform: &Transform,
        image: &RgbImage,
        rng: &mut ChaCha8Rng,
    ) -> Result<(RgbImage, Value), AugmentError> {
        if let Transform::RandomResizedCrop { scale, ratio } = *transform {
            return geometry::random_resized_crop(image, self.size, scale, ratio, rng);
        }
        let sized;
        let image = if image.dimensions() == (self.size, self.size) {
            image
        } else {
            sized = geometry::resize(image, self.size)?;
            &sized
        };
        match *transform {
            Transform::RandomResizedCrop { .. } => unreachable_crop(),
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

/// The crop returned before the match; kept out of line so the match stays exhaustive.
fn unreachable_crop() -> Result<(RgbImage, Value), AugmentError> {
    Err(AugmentError::InvalidInput(
        "random_resized_crop is handled before the other transforms".into(),
    ))
}

#[cfg(test)]
mod tests;
