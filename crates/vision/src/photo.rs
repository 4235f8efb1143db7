//! Resizing of photos for posts, products and avatars (OpenCV's area interpolation, the
//! alias-free choice for shrinking).

use image::RgbImage;
use opencv::core::{Mat, Size, Vec3b};
use opencv::imgproc;
use opencv::prelude::*;

use crate::{mat::dim, VisionError};

/// Long side of the display image of a post's photo.
pub const DISPLAY_LONG_SIDE: u32 = 1080;
/// Long side of its thumbnail.
pub const THUMBNAIL_LONG_SIDE: u32 = 320;

/// The size of `(w, h)` scaled so its long side is at most `long_side` (never enlarged,
/// never below 1 px).
pub fn fitted_size(w: u32, h: u32, long_side: u32) -> (u32, u32) {
    let long = w.max(h);
    if long <= long_side || long == 0 {
        return (w, h);
    }
    let fit = |v: u32| {
        let scaled = (u64::from(v) * u64::from(long_side) + u64::from(long) / 2) / u64::from(long);
        u32::try_from(scaled)
            .unwrap_or(long_side)
            .clamp(1, long_side)
    };
    (fit(w), fit(h))
}

/// `img` shrunk so its long side is at most `long_side` (a copy when it already fits).
pub fn fit_within(img: &RgbImage, long_side: u32) -> Result<RgbImage, VisionError> {
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 || long_side == 0 {
        return Err(VisionError::InvalidInput(format!(
            "cannot fit a {w}x{h} image into {long_side} px"
        )));
    }
    let (tw, th) = fitted_size(w, h, long_side);
    if (tw, th) == (w, h) {
        return Ok(img.clone());
    }
    let src = Mat::new_rows_cols_with_bytes::<Vec3b>(dim(h)?, dim(w)?, img.as_raw())?;
    let mut out = Mat::default();
    imgproc::resize(
        &src,
        &mut out,
        Size::new(dim(tw)?, dim(th)?),
        0.0,
        0.0,
        imgproc::INTER_AREA,
    )?;
    let bytes = if out.is_continuous() {
        out.data_bytes()?.to_vec()
    } else {
        out.try_clone()?.data_bytes()?.to_vec()
    };
    RgbImage::from_raw(tw, th, bytes)
        .ok_or_else(|| VisionError::OpenCv(format!("resize to {tw}x{th} gave a short buffer")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_fit_without_enlarging() {
        assert_eq!(fitted_size(4000, 3000, 1080), (1080, 810));
        assert_eq!(fitted_size(3000, 4000, 320), (240, 320));
        assert_eq!(fitted_size(800, 600, 1080), (800, 600));
        assert_eq!(fitted_size(10000, 1, 320), (320, 1));
    }

    #[test]
    fn resizes_and_keeps_colour() {
        let img = RgbImage::from_pixel(2000, 1000, image::Rgb([200, 30, 90]));
        let out = fit_within(&img, 1080).unwrap();
        assert_eq!(out.dimensions(), (1080, 540));
        assert_eq!(out.get_pixel(500, 200).0, [200, 30, 90]);
        let small = fit_within(&out, 2000).unwrap();
        assert_eq!(small.dimensions(), (1080, 540));
        assert!(fit_within(&RgbImage::new(0, 0), 10).is_err());
    }
}
