//! Resizing, crops, flips, warps and blur on OpenCV, over the image's own buffer.

use image::RgbImage;
use opencv::{
    boxed_ref::BoxedRef,
    core::{self, Mat, Point2f, Rect, Scalar, Size, Vec3b, Vector, BORDER_REFLECT_101},
    imgproc,
    prelude::*,
};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

use crate::{AugmentError, Range};

fn dim(v: u32) -> Result<i32, AugmentError> {
    i32::try_from(v).map_err(|_| AugmentError::InvalidInput(format!("side {v} too large")))
}

/// Runs `op` on the image borrowed as a `CV_8UC3` matrix and copies its output back.
fn with_mat(
    image: &RgbImage,
    op: impl FnOnce(&BoxedRef<'_, Mat>, &mut Mat) -> opencv::Result<()>,
) -> Result<RgbImage, AugmentError> {
    let borrowed = Mat::new_rows_cols_with_bytes::<Vec3b>(
        dim(image.height())?,
        dim(image.width())?,
        image.as_raw(),
    )?;
    let mut out = Mat::default();
    op(&borrowed, &mut out)?;
    to_image(&out)
}

fn to_image(mat: &Mat) -> Result<RgbImage, AugmentError> {
    let (w, h) = (mat.cols(), mat.rows());
    let bytes = if mat.is_continuous() {
        mat.data_bytes()?.to_vec()
    } else {
        mat.try_clone()?.data_bytes()?.to_vec()
    };
    let (w, h) = (
        u32::try_from(w).unwrap_or_default(),
        u32::try_from(h).unwrap_or_default(),
    );
    RgbImage::from_raw(w, h, bytes)
        .ok_or_else(|| AugmentError::InvalidInput("OpenCV returned a short image".into()))
}

/// Area interpolation when shrinking (no aliasing), linear when growing.
fn interpolation(from: (u32, u32), to: u32) -> i32 {
    if from.0 > to && from.1 > to {
        imgproc::INTER_AREA
    } else {
        imgproc::INTER_LINEAR
    }
}

/// The whole image squeezed to `size` × `size`.
pub(crate) fn resize(image: &RgbImage, size: u32) -> Result<RgbImage, AugmentError> {
    let side = dim(size)?;
    let how = interpolation(image.dimensions(), size);
    with_mat(image, |src, out| {
        imgproc::resize(src, out, Size::new(side, side), 0.0, 0.0, how)
    })
}

/// A crop of `scale` of the area with width/height in `ratio` (log-uniform), resized to
/// `size`; after ten misses, the largest centred crop of an allowed ratio.
pub(crate) fn random_resized_crop(
    image: &RgbImage,
    size: u32,
    scale: Range,
    ratio: Range,
    rng: &mut ChaCha8Rng,
) -> Result<(RgbImage, Value), AugmentError> {
    let (w, h) = (f64::from(image.width()), f64::from(image.height()));
    let area = w * h;
    let (log_lo, log_hi) = (ratio.0.ln(), ratio.1.ln());
    let mut chosen = None;
    for _ in 0..10 {
        let target = area * scale.draw(rng);
        let aspect = Range(log_lo, log_hi).draw(rng).exp();
        let cw = (target * aspect).sqrt().round();
        let ch = (target / aspect).sqrt().round();
        if cw >= 1.0 && ch >= 1.0 && cw <= w && ch <= h {
            let x = rng.random_range(0.0..=w - cw).floor();
            let y = rng.random_range(0.0..=h - ch).floor();
            chosen = Some((x, y, cw, ch));
            break;
        }
    }
    let (x, y, cw, ch) = chosen.unwrap_or_else(|| {
        let aspect = (w / h).clamp(ratio.0, ratio.1);
        let (cw, ch) = if w / h > aspect {
            ((h * aspect).round(), h)
        } else {
            (w, (w / aspect).round())
        };
        (((w - cw) / 2.0).floor(), ((h - ch) / 2.0).floor(), cw, ch)
    });
    let rect = Rect::new(x as i32, y as i32, cw as i32, ch as i32);
    let side = dim(size)?;
    let how = interpolation((cw as u32, ch as u32), size);
    let out = with_mat(image, |src, out| {
        let roi = Mat::roi(src, rect)?;
        imgproc::resize(&roi, out, Size::new(side, side), 0.0, 0.0, how)
    })?;
    Ok((out, json!({"x": x, "y": y, "width": cw, "height": ch})))
}

/// A mirror image, left–right when `horizontal`, else top–bottom.
pub(crate) fn flip(image: &RgbImage, horizontal: bool) -> Result<RgbImage, AugmentError> {
    with_mat(image, |src, out| {
        core::flip(src, out, if horizontal { 1 } else { 0 })
    })
}

/// The parameters drawn for one affine warp.
pub(crate) struct AffineParams {
    pub rotate: f64,
    pub scale: f64,
    pub translate_x: f64,
    pub translate_y: f64,
    pub shear: f64,
}

impl AffineParams {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "rotate": self.rotate, "scale": self.scale, "translate": [self.translate_x, self.translate_y],
            "shear": self.shear,
        })
    }
}

/// Rotation and scale about the centre, then shear and translation; borders reflect.
pub(crate) fn affine(image: &RgbImage, p: &AffineParams) -> Result<RgbImage, AugmentError> {
    let (w, h) = (f64::from(image.width()), f64::from(image.height()));
    let (cx, cy) = (w / 2.0, h / 2.0);
    let (sin, cos) = p.rotate.to_radians().sin_cos();
    let k = p.shear.to_radians().tan();
    // M = T(centre + shift) · Shear · Rotate·Scale · T(-centre), as the 2×3 warp matrix.
    let (a, b) = (p.scale * cos, p.scale * sin);
    let rot = [[a, b], [-b, a]];
    let m00 = rot[0][0] + k * rot[1][0];
    let m01 = rot[0][1] + k * rot[1][1];
    let m10 = rot[1][0];
    let m11 = rot[1][1];
    let tx = cx + p.translate_x * w - (m00 * cx + m01 * cy);
    let ty = cy + p.translate_y * h - (m10 * cx + m11 * cy);
    let matrix = Mat::from_slice_2d(&[[m00, m01, tx], [m10, m11, ty]])?;
    warp(image, &matrix, Warp::Affine)
}

/// Which OpenCV warp a matrix is for.
enum Warp {
    /// 2×3, `warp_affine`.
    Affine,
    /// 3×3, `warp_perspective`.
    Perspective,
}

/// `image` warped by `matrix` at its own size, linear, borders reflecting.
fn warp(image: &RgbImage, matrix: &Mat, kind: Warp) -> Result<RgbImage, AugmentError> {
    let size = Size::new(dim(image.width())?, dim(image.height())?);
    let (how, border, fill) = (imgproc::INTER_LINEAR, BORDER_REFLECT_101, Scalar::default());
    with_mat(image, |src, out| match kind {
        Warp::Affine => imgproc::warp_affine(src, out, matrix, size, how, border, fill),
        Warp::Perspective => imgproc::warp_perspective(src, out, matrix, size, how, border, fill),
    })
}

/// The corners moved by `shifts` (x, y of top-left, top-right, bottom-right, bottom-left, as
/// fractions of the side) and the image warped onto them; borders reflect.
pub(crate) fn perspective(image: &RgbImage, shifts: &[f64; 8]) -> Result<RgbImage, AugmentError> {
    let (w, h) = (image.width() as f32, image.height() as f32);
    let from = [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)];
    let src: Vector<Point2f> = from.iter().map(|&(x, y)| Point2f::new(x, y)).collect();
    let dst: Vector<Point2f> = from
        .iter()
        .enumerate()
        .map(|(i, &(x, y))| {
            Point2f::new(
                x + shifts[2 * i] as f32 * w,
                y + shifts[2 * i + 1] as f32 * h,
            )
        })
        .collect();
    let matrix = imgproc::get_perspective_transform(&src, &dst, core::DECOMP_LU)?;
    warp(image, &matrix, Warp::Perspective)
}

/// Gaussian blur with `sigma` pixels (kernel of about ±3 sigma).
pub(crate) fn blur(image: &RgbImage, sigma: f64) -> Result<RgbImage, AugmentError> {
    if sigma <= 0.0 {
        return Ok(image.clone());
    }
    let half = (3.0 * sigma).ceil() as i32;
    let k = 2 * half + 1;
    with_mat(image, |src, out| {
        imgproc::gaussian_blur(src, out, Size::new(k, k), sigma, sigma, BORDER_REFLECT_101)
    })
}
