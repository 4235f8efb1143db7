//! Face types shared by detection (moji-vision), rendering (moji-render) and the look-alike
//! mapping.

use serde::{Deserialize, Serialize};

pub use moji_common::Expression;

/// An axis-aligned face box in pixels of the (orientation-corrected) photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaceBox {
    /// Left edge.
    pub x: u32,
    /// Top edge.
    pub y: u32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

/// Measured features of one face, the input of the zodiac look-alike mapping.
/// All geometric values are relative to the face box so they do not depend on photo size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FaceFeatures {
    /// Whether both eyes were located; when false the eye fields hold population means.
    pub eyes_found: bool,
    /// Distance between eye centres / face width (typically 0.30–0.50).
    pub eye_spacing: f32,
    /// Mean eye width / face width (typically 0.15–0.30).
    pub eye_size: f32,
    /// Mean eye-centre height from the top of the box / face height (typically 0.30–0.45).
    pub eye_height: f32,
    /// Angle of the line through the eye centres in degrees; positive = right eye higher.
    pub eye_tilt_deg: f32,
    /// Mean luma inside the face box, 0..1.
    pub brightness: f32,
    /// Fraction of edge pixels (Canny) inside the face box, 0..1: "strong" vs "soft" features.
    pub edge_density: f32,
    /// Expression probabilities in [`Expression::ALL`] order.
    pub expression: [f32; 7],
}

impl FaceFeatures {
    /// Population means used when the eyes cannot be located.
    pub const MEAN_EYE_SPACING: f32 = 0.40;
    /// See [`Self::MEAN_EYE_SPACING`].
    pub const MEAN_EYE_SIZE: f32 = 0.22;
    /// See [`Self::MEAN_EYE_SPACING`].
    pub const MEAN_EYE_HEIGHT: f32 = 0.38;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_and_names_round_trip() {
        for (i, e) in Expression::ALL.into_iter().enumerate() {
            assert_eq!(e.index(), i);
            assert_eq!(Expression::parse(e.as_str()), Some(e));
        }
        let mut s = [0.0; 7];
        s[3] = 0.9;
        assert_eq!(Expression::argmax(&s).0, Expression::Happy);
    }
}
