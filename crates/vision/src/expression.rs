//! The `fer` expression model: its crop rule and its forward pass through OpenCV DNN.

use moji_catalog::FaceBox;
use opencv::core::{Mat, Rect, Scalar, Size, CV_32F, CV_8UC1};
use opencv::dnn;
use opencv::imgproc;
use opencv::prelude::*;

use crate::mat;
use crate::VisionError;

/// Side of the model's square grey input.
pub(crate) const SIDE: i32 = 64;
/// fer pads the whole grey photo by this much (fer.py `PADDING`) before cropping...
const FER_PADDING: i64 = 40;
/// ...and grows the squared face box by this many pixels on each side (fer's default `offsets`).
const FER_OFFSET: i64 = 10;

/// The 64x64 grey crop fer 25.10.3 feeds its model for `face` (see `FER.detect_emotions`).
///
/// fer squares the box by growing its short side (`tosquare`), grows it by 10 px per side, and
/// crops from the photo padded by 40 px of the mean grey of its two bottom rows; the crop start
/// is clamped to the padded photo and its end cut by slicing. The padded photo is never built
/// here: the crop starts as that constant and the overlapping part of the photo is copied in.
pub(crate) fn fer_crop(grey: &Mat, face: FaceBox) -> Result<[u8; 4096], VisionError> {
    let (cols, rows) = (i64::from(grey.cols()), i64::from(grey.rows()));
    let (mut x, mut y) = (i64::from(face.x), i64::from(face.y));
    let (mut w, mut h) = (i64::from(face.width), i64::from(face.height));
    if h > w {
        x -= (h - w).div_euclid(2);
        w = h;
    } else if w > h {
        y -= (w - h).div_euclid(2);
        h = w;
    }
    // Crop corners in padded coordinates, as numpy would slice them.
    let x1 = (x - FER_OFFSET + FER_PADDING).max(0);
    let y1 = (y - FER_OFFSET + FER_PADDING).max(0);
    let x2 = (x + w + FER_OFFSET + FER_PADDING).min(cols + 2 * FER_PADDING);
    let y2 = (y + h + FER_OFFSET + FER_PADDING).min(rows + 2 * FER_PADDING);
    if x2 <= x1 || y2 <= y1 {
        return Err(VisionError::InvalidInput(format!(
            "face box {face:?} lies outside the {cols}x{rows} image"
        )));
    }

    let bottom = Rect::new(0, (rows - 2).max(0) as i32, cols as i32, rows.min(2) as i32);
    let fill = opencv::core::mean_def(&Mat::roi(grey, bottom)?)?[0];
    let mut crop = Mat::new_rows_cols_with_default(
        (y2 - y1) as i32,
        (x2 - x1) as i32,
        CV_8UC1,
        Scalar::all(fill),
    )?;
    // The photo occupies [PADDING, PADDING + cols) x [PADDING, PADDING + rows) when padded.
    let ix1 = x1.max(FER_PADDING);
    let iy1 = y1.max(FER_PADDING);
    let ix2 = x2.min(FER_PADDING + cols);
    let iy2 = y2.min(FER_PADDING + rows);
    if ix2 > ix1 && iy2 > iy1 {
        let src = Rect::new(
            (ix1 - FER_PADDING) as i32,
            (iy1 - FER_PADDING) as i32,
            (ix2 - ix1) as i32,
            (iy2 - iy1) as i32,
        );
        let dst = Rect::new((ix1 - x1) as i32, (iy1 - y1) as i32, src.width, src.height);
        let mut dst_roi = Mat::roi_mut(&mut crop, dst)?;
        Mat::roi(grey, src)?.copy_to(&mut dst_roi)?;
    }

    let mut resized = Mat::default();
    // cv2.resize's default interpolation, as fer calls it.
    imgproc::resize(
        &crop,
        &mut resized,
        Size::new(SIDE, SIDE),
        0.0,
        0.0,
        imgproc::INTER_LINEAR,
    )?;
    let bytes = mat::bytes(&resized)?;
    <[u8; 4096]>::try_from(bytes.as_slice())
        .map_err(|_| VisionError::OpenCv(format!("resize gave {} bytes", bytes.len())))
}

/// Softmax over the seven expressions for one 64x64 grey crop.
pub(crate) fn classify(net: &mut dnn::Net, crop: &[u8; 4096]) -> Result<[f32; 7], VisionError> {
    let img = mat::grey_from_bytes(crop, SIDE, SIDE)?;
    // blob = scale * (x - mean) = (x - 127.5) * 2/255 = (x/255 - 0.5) * 2, the training scaling;
    // the result is NCHW 1x1x64x64 as the converted model expects.
    let blob = dnn::blob_from_image(
        &img,
        2.0 / 255.0,
        Size::new(SIDE, SIDE),
        Scalar::all(127.5),
        false,
        false,
        CV_32F,
    )?;
    net.set_input(&blob, "", 1.0, Scalar::default())?;
    let out = net.forward_single("")?;
    let probs = out.data_typed::<f32>()?;
    <[f32; 7]>::try_from(probs).map_err(|_| {
        VisionError::Model(format!(
            "expression model gave {} outputs, expected 7",
            probs.len()
        ))
    })
}
