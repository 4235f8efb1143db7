//! Face detection, expression reading and face measurements on OpenCV.
//!
//! Only the inference worker links this crate (it pulls in the system libopencv); upload checks and
//! decoding live in `moji-media`, which stays pure Rust.
//!
//! Pipeline for one photo ([`analyze`]): grey conversion once, Haar frontal-face detection on a
//! downscaled copy, each hit confirmed by a second cascade ([`detect_faces`]), then per face the
//! `fer` crop + mini-Xception through OpenCV DNN ([`classify_expression`]) and eye/edge/brightness
//! measurements ([`measure_features`]).
//!
//! # Cost
//!
//! Detection dominates: with [`DetectConfig::default`] about 0.3 s of one core per 1 MP photo on
//! the project's machines, against about 1 ms per face for the expression model and 7 ms for the
//! measurements. [`DetectConfig::fast`] detects in about 15 ms but only finds large faces.
//! `scripts/bench/vision.sh` measures all of it. OpenCV runs its own thread pool inside a call;
//! a worker that runs one photo per core should call [`set_opencv_threads`]`(1)` once.
//!
//! # Threads
//!
//! OpenCV's `dnn::Net` and `CascadeClassifier` keep per-call scratch state and are not safe to
//! share, so [`Models`] is `Send` but not `Sync` and every function takes `&mut Models`. Give each
//! worker thread its own instance: loading takes about 20-30 ms (mostly parsing the cascade XML),
//! so either load one per long-lived thread or use [`with_thread_models`], which
//! caches one per thread (e.g. per tokio blocking thread).

mod detect;
mod expression;
mod features;
mod mat;
pub mod photo;

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use image::RgbImage;
use moji_catalog::{Expression, FaceBox, FaceFeatures};
use opencv::dnn;
use opencv::objdetect::CascadeClassifier;
use opencv::prelude::*;

pub use detect::{DetectConfig, FaceCascade};

/// File name of the converted `fer` model inside the models directory.
pub const EXPRESSION_MODEL_FILE: &str = "fer_mini_xception.onnx";
/// Frontal-face cascade (the one `fer` uses).
pub const FACE_CASCADE_FILE: &str = "haarcascade_frontalface_default.xml";
/// Second frontal-face cascade that confirms detections ([`DetectConfig::verify`]).
pub const VERIFY_CASCADE_FILE: &str = "haarcascade_frontalface_alt2.xml";
/// Eye cascade used by [`measure_features`].
pub const EYE_CASCADE_FILE: &str = "haarcascade_eye.xml";
/// The faster LBP face cascade, looked up in `lbpcascades/` beside the Haar cascades directory.
pub const LBP_FACE_CASCADE_FILE: &str = "lbpcascade_frontalface.xml";
/// Where Debian's `opencv-data` installs the cascades.
pub const DEFAULT_CASCADES_DIR: &str = "/usr/share/opencv4/haarcascades";

/// Errors of this crate.
#[derive(Debug, thiserror::Error)]
pub enum VisionError {
    /// A model or cascade file is missing or cannot be loaded.
    #[error("model: {0}")]
    Model(String),
    /// OpenCV reported an error.
    #[error("opencv: {0}")]
    OpenCv(String),
    /// The image or face box cannot be processed (empty, outside the image, too large).
    #[error("invalid input: {0}")]
    InvalidInput(String),
}

impl From<opencv::Error> for VisionError {
    fn from(e: opencv::Error) -> Self {
        VisionError::OpenCv(e.to_string())
    }
}

/// In coarse-to-fine detection, a face found by the first pass that is smaller than this
/// fraction of the photo's long side triggers the thorough pass: [`DetectConfig::fast`] finds
/// 17 of 20 faces of 128 px in a 1 MP photo but only 1 of 20 at 64 px.
pub const FALLBACK_FACE_FRACTION: f32 = 0.15;

/// The cascades directory: `MOJI_CASCADES_DIR` if set, else [`DEFAULT_CASCADES_DIR`].
pub fn cascades_dir_from_env() -> PathBuf {
    std::env::var_os("MOJI_CASCADES_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CASCADES_DIR))
}

/// Sets the number of threads OpenCV uses inside one call (process-wide); 1 = one core per call.
pub fn set_opencv_threads(n: i32) -> Result<(), VisionError> {
    opencv::core::set_num_threads(n)?;
    Ok(())
}

/// The loaded networks and cascades; one per worker thread (see the crate docs).
pub struct Models {
    expression: dnn::Net,
    face: CascadeClassifier,
    /// Optional: only needed when [`DetectConfig::cascade`] is [`FaceCascade::Lbp`].
    face_lbp: Option<CascadeClassifier>,
    verify: CascadeClassifier,
    eyes: CascadeClassifier,
    detect: DetectConfig,
    /// Second pass run when the first finds no face, or a face too small for the first pass
    /// to be trusted with its neighbours (coarse-to-fine detection).
    fallback: Option<DetectConfig>,
}

impl Models {
    /// Loads `fer_mini_xception.onnx` from `models_dir`, and from `cascades_dir` the
    /// `frontalface_default`, `frontalface_alt2` and `eye` Haar cascades (plus the optional LBP
    /// face cascade from `lbpcascades/` beside it, needed only by [`DetectConfig::fast`]).
    pub fn load(models_dir: &Path, cascades_dir: &Path) -> Result<Self, VisionError> {
        let onnx = existing(
            models_dir.join(EXPRESSION_MODEL_FILE),
            "run scripts/models.sh",
        )?;
        let expression = dnn::read_net_from_onnx(&onnx)
            .map_err(|e| VisionError::Model(format!("{}: {e}", onnx.display())))?;
        if expression.empty()? {
            return Err(VisionError::Model(format!(
                "{}: empty network",
                onnx.display()
            )));
        }
        Ok(Self {
            expression,
            face: cascade(cascades_dir, FACE_CASCADE_FILE)?,
            face_lbp: cascades_dir
                .parent()
                .map(|p| p.join("lbpcascades"))
                .and_then(|dir| cascade(&dir, LBP_FACE_CASCADE_FILE).ok()),
            verify: cascade(cascades_dir, VERIFY_CASCADE_FILE)?,
            eyes: cascade(cascades_dir, EYE_CASCADE_FILE)?,
            detect: DetectConfig::default(),
            fallback: None,
        })
    }

    /// The detection parameters in force.
    pub fn detect_config(&self) -> DetectConfig {
        self.detect
    }

    /// Replaces the detection parameters (speed/recall trade-off; see [`DetectConfig`]).
    pub fn set_detect_config(&mut self, config: DetectConfig) {
        self.detect = config;
    }

    /// Sets a second, usually more thorough pass that runs when the first pass finds no face or
    /// any face smaller than [`FALLBACK_FACE_FRACTION`] of the photo's long side (where a fast
    /// pass misses neighbours of the same size). With [`DetectConfig::fast`] first and the
    /// default second, selfie-like photos cost the fast pass only and group photos of small
    /// faces still get the thorough pass — but a photo with only large faces found plus
    /// smaller ones missed reports only what the fast pass saw.
    pub fn set_detect_fallback(&mut self, fallback: Option<DetectConfig>) {
        self.fallback = fallback;
    }

    fn detect(&mut self, grey: &opencv::core::Mat) -> Result<Vec<FaceBox>, VisionError> {
        let found = self.detect_with(self.detect, grey)?;
        let Some(second) = self.fallback else {
            return Ok(found);
        };
        let long_side = grey.cols().max(grey.rows()).max(1) as f32;
        let small =
            |f: &FaceBox| (f.width.min(f.height) as f32) < long_side * FALLBACK_FACE_FRACTION;
        if found.is_empty() || found.iter().any(small) {
            self.detect_with(second, grey)
        } else {
            Ok(found)
        }
    }

    fn detect_with(
        &mut self,
        config: DetectConfig,
        grey: &opencv::core::Mat,
    ) -> Result<Vec<FaceBox>, VisionError> {
        let cascade = match config.cascade {
            FaceCascade::Haar => &mut self.face,
            FaceCascade::Lbp => self.face_lbp.as_mut().ok_or_else(|| {
                VisionError::Model(format!(
                    "{LBP_FACE_CASCADE_FILE} not found in lbpcascades/ beside the Haar cascades"
                ))
            })?,
        };
        detect::detect(cascade, &mut self.verify, grey, &config)
    }
}

fn existing(path: PathBuf, hint: &str) -> Result<PathBuf, VisionError> {
    if path.is_file() {
        Ok(path)
    } else {
        Err(VisionError::Model(format!(
            "{} not found ({hint})",
            path.display()
        )))
    }
}

fn cascade(dir: &Path, file: &str) -> Result<CascadeClassifier, VisionError> {
    let path = existing(
        dir.join(file),
        "install opencv-data or set MOJI_CASCADES_DIR",
    )?;
    let c = CascadeClassifier::new(&path)
        .map_err(|e| VisionError::Model(format!("{}: {e}", path.display())))?;
    if c.empty()? {
        return Err(VisionError::Model(format!(
            "{}: not a cascade",
            path.display()
        )));
    }
    Ok(c)
}

thread_local! {
    static THREAD_MODELS: RefCell<Option<(PathBuf, PathBuf, Models)>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's cached [`Models`], loading them on first use (or when the
/// directories change).
pub fn with_thread_models<R>(
    models_dir: &Path,
    cascades_dir: &Path,
    f: impl FnOnce(&mut Models) -> R,
) -> Result<R, VisionError> {
    THREAD_MODELS.with(|cell| {
        let mut slot = cell.borrow_mut();
        let fresh = !matches!(&*slot, Some((m, c, _)) if m == models_dir && c == cascades_dir);
        if fresh {
            *slot = None;
            let models = Models::load(models_dir, cascades_dir)?;
            *slot = Some((models_dir.to_path_buf(), cascades_dir.to_path_buf(), models));
        }
        match slot.as_mut() {
            Some((_, _, models)) => Ok(f(models)),
            None => Err(VisionError::Model("thread model cache is empty".into())),
        }
    })
}

/// One face found in a photo, with everything the apps need.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectedFace {
    /// Where the face is, in pixels of the photo.
    pub bbox: FaceBox,
    /// The most likely expression.
    pub expression: Expression,
    /// Probability of [`Self::expression`].
    pub confidence: f32,
    /// All seven probabilities in [`Expression::ALL`] order.
    pub scores: [f32; 7],
    /// Measurements for the look-alike mapping.
    pub features: FaceFeatures,
}

/// Finds frontal faces, merged and sorted left to right.
pub fn detect_faces(models: &mut Models, img: &RgbImage) -> Result<Vec<FaceBox>, VisionError> {
    let grey = mat::grey(img)?;
    models.detect(&grey)
}

/// Expression probabilities for one face box, cropped the way `fer` crops.
pub fn classify_expression(
    models: &mut Models,
    img: &RgbImage,
    face: FaceBox,
) -> Result<[f32; 7], VisionError> {
    let grey = mat::grey(img)?;
    let crop = expression::fer_crop(&grey, face)?;
    expression::classify(&mut models.expression, &crop)
}

/// Expression probabilities for a ready 64x64 grey crop (row-major), skipping the crop step.
pub fn classify_grey64(models: &mut Models, crop: &[u8; 4096]) -> Result<[f32; 7], VisionError> {
    expression::classify(&mut models.expression, crop)
}

/// Eye geometry, brightness and edge density of one face; see [`FaceFeatures`].
///
/// Never fails: when OpenCV cannot measure, the eye fields fall back to population means and the
/// edge density to 0, so one odd face does not fail a whole photo.
pub fn measure_features(
    models: &mut Models,
    img: &RgbImage,
    face: FaceBox,
    expression: [f32; 7],
) -> FaceFeatures {
    let grey = mat::grey(img).ok();
    features::measure(&mut models.eyes, img, grey.as_ref(), face, expression)
}

/// Detects every face and reads its expression and features.
pub fn analyze(models: &mut Models, img: &RgbImage) -> Result<Vec<DetectedFace>, VisionError> {
    let grey = mat::grey(img)?;
    let boxes = models.detect(&grey)?;
    let mut faces = Vec::with_capacity(boxes.len());
    for bbox in boxes {
        let crop = expression::fer_crop(&grey, bbox)?;
        let scores = expression::classify(&mut models.expression, &crop)?;
        let (expression, confidence) = Expression::argmax(&scores);
        let features = features::measure(&mut models.eyes, img, Some(&grey), bbox, scores);
        faces.push(DetectedFace {
            bbox,
            expression,
            confidence,
            scores,
            features,
        });
    }
    Ok(faces)
}

#[cfg(test)]
mod tests {
    fn assert_send<T: Send>() {}

    #[test]
    fn models_can_move_to_a_worker_thread() {
        assert_send::<super::Models>();
    }
}
