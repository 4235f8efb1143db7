//! Conversions between `image` buffers and OpenCV matrices, through the opencv crate's safe
//! borrowing constructors (no `unsafe` here: the crate checks the slice length against the shape).

use image::RgbImage;
use opencv::core::{Mat, Vec3b};
use opencv::imgproc;
use opencv::prelude::*;

use crate::VisionError;

/// Converts a pixel count to OpenCV's `i32`, refusing images too large for it.
pub(crate) fn dim(v: u32) -> Result<i32, VisionError> {
    i32::try_from(v).map_err(|_| VisionError::InvalidInput(format!("dimension {v} too large")))
}

/// Grey (OpenCV's BT.601 weights, as fer's `cv2.cvtColor(..., BGR2GRAY)`) copy of an RGB image.
pub(crate) fn grey(img: &RgbImage) -> Result<Mat, VisionError> {
    if img.width() == 0 || img.height() == 0 {
        return Err(VisionError::InvalidInput("empty image".into()));
    }
    // Borrows the RGB buffer as an h x w CV_8UC3 matrix; the conversion writes a new owned Mat,
    // so nothing outlives the borrow.
    let rgb = Mat::new_rows_cols_with_bytes::<Vec3b>(
        dim(img.height())?,
        dim(img.width())?,
        img.as_raw(),
    )?;
    let mut out = Mat::default();
    imgproc::cvt_color(&rgb, &mut out, imgproc::COLOR_RGB2GRAY, 0)?;
    Ok(out)
}

/// An owned single-channel 8-bit matrix holding a copy of `data` (row-major, `rows` x `cols`).
pub(crate) fn grey_from_bytes(data: &[u8], rows: i32, cols: i32) -> Result<Mat, VisionError> {
    let borrowed = Mat::new_rows_cols_with_data::<u8>(rows, cols, data)?;
    Ok(borrowed.try_clone()?)
}

/// The bytes of a continuous 8-bit single-channel matrix.
pub(crate) fn bytes(m: &Mat) -> Result<Vec<u8>, VisionError> {
    if m.is_continuous() {
        Ok(m.data_bytes()?.to_vec())
    } else {
        Ok(m.try_clone()?.data_bytes()?.to_vec())
    }
}
