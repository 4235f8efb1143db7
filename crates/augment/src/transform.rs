//! The transforms a pipeline step can be, their parameter ranges and their checks.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// A closed range `[min, max]` a parameter is drawn from, uniformly.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Range(pub f64, pub f64);

impl Range {
    pub(crate) fn draw(self, rng: &mut ChaCha8Rng) -> f64 {
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
    pub(crate) fn problem(&self) -> Option<String> {
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
