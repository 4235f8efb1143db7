//! The image work of one task, start to finish on one vision thread: decode, detect, classify,
//! and for emoji tasks composite and encode.
//!
//! It runs as a single pool job so a vision thread never sits idle while the async side talks
//! to Redis: each step is announced on a channel (the worker writes it to Redis in the
//! background, in order), and a stop flag set by the worker (cancelled task, Redis trouble) is
//! checked before every step.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use image::RgbImage;
use moji_catalog::{FaceBox, FaceFeatures};
use moji_common::{ErrorCode, Expression, TaskKind, TemplateId};
use moji_media::Limits;
use moji_vision::Models;
use tokio::sync::mpsc::UnboundedSender;

use crate::{metrics, step::Step, task_end::TaskEnd};

/// A step the vision thread is about to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepStarted {
    /// The step (its name and progress are what the worker reports).
    pub step: Step,
    /// When it started (the raw benchmark times steps from these).
    pub at: Instant,
}

/// How the worker steers a running job.
pub struct Control {
    /// Where step announcements go (in order).
    pub steps: UnboundedSender<StepStarted>,
    /// Set by the worker to stop the job before its next step.
    pub stop: Arc<AtomicBool>,
    /// Test knob (`faces.step_delay_ms`): a pause before every step.
    pub step_delay: Duration,
}

impl Control {
    /// Announces `step` unless the worker asked to stop (the worker knows why, and ends the
    /// task accordingly; the job only reports `Cancelled`).
    fn enter(&self, step: Step) -> Result<(), TaskEnd> {
        if !self.step_delay.is_zero() {
            std::thread::sleep(self.step_delay);
        }
        if self.stop.load(Ordering::Acquire) {
            return Err(TaskEnd::Cancelled);
        }
        // A closed channel means the worker is gone; the job's result is dropped as well.
        let _ = self.steps.send(StepStarted {
            step,
            at: Instant::now(),
        });
        Ok(())
    }
}

/// What one task asks of the vision thread.
pub struct Job {
    /// The uploaded photo.
    pub bytes: Bytes,
    /// Decoding limits.
    pub limits: Limits,
    /// Emoji tasks are composited and encoded; zodiac tasks get face features.
    pub kind: TaskKind,
    /// Emoji template.
    pub template: TemplateId,
}

/// One face as the pipeline read it; features are measured for zodiac tasks only (the eye
/// cascade costs ~7 ms per face and emoji tasks never use it).
pub struct ReadFace {
    /// Where the face is.
    pub bbox: FaceBox,
    /// Most likely expression.
    pub expression: Expression,
    /// Its probability.
    pub confidence: f32,
    /// All seven probabilities.
    pub scores: [f32; 7],
    /// Look-alike measurements (zodiac tasks).
    pub features: Option<FaceFeatures>,
}

/// The encoded emoji result.
pub struct Rendered {
    /// Template the emoji came from.
    pub template: TemplateId,
    /// Full-size composite, PNG.
    pub png: Vec<u8>,
    /// 256 px JPEG thumbnail.
    pub thumbnail: Vec<u8>,
    /// Composite width.
    pub width: u32,
    /// Composite height.
    pub height: u32,
}

/// What the vision thread produced.
pub struct Analysis {
    /// Every face found, left to right.
    pub faces: Vec<ReadFace>,
    /// The composite (emoji tasks).
    pub rendered: Option<Rendered>,
}

fn timed<T>(step: Step, f: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = f();
    metrics::STEP_SECONDS
        .with_label_values(&[step.name()])
        .observe(started.elapsed().as_secs_f64());
    out
}

/// Runs the whole image pipeline for `job` on the calling (vision) thread.
///
/// Ends early with `Failed` (an unreadable photo, no face), `Retry` (an OpenCV hiccup) or
/// `Cancelled` (the worker set the stop flag).
pub fn run(models: &mut Models, job: Job, ctl: &Control) -> Result<Analysis, TaskEnd> {
    ctl.enter(Step::Decode)?;
    let image: RgbImage = timed(Step::Decode, || moji_media::decode(&job.bytes, &job.limits))
        .map_err(|e| {
            TaskEnd::Failed(
                ErrorCode::InvalidImage,
                format!("the photo cannot be read: {e}"),
            )
        })?;
    drop(job.bytes);

    ctl.enter(Step::Detect)?;
    let boxes = timed(Step::Detect, || moji_vision::detect_faces(models, &image))
        .map_err(|e| TaskEnd::Retry(format!("detection: {e}")))?;
    if boxes.is_empty() {
        return Err(TaskEnd::Failed(
            ErrorCode::NoFaceDetected,
            "no face was found; try a brighter photo with the face looking at the camera".into(),
        ));
    }

    ctl.enter(Step::Classify)?;
    let wants_features = job.kind == TaskKind::Zodiac;
    let faces = timed(Step::Classify, || {
        boxes
            .into_iter()
            .map(|bbox| {
                let scores = moji_vision::classify_expression(models, &image, bbox)?;
                let (expression, confidence) = Expression::argmax(&scores);
                let features = wants_features
                    .then(|| moji_vision::measure_features(models, &image, bbox, scores));
                Ok(ReadFace {
                    bbox,
                    expression,
                    confidence,
                    scores,
                    features,
                })
            })
            .collect::<Result<Vec<_>, moji_vision::VisionError>>()
    })
    .map_err(|e| TaskEnd::Retry(format!("classification: {e}")))?;
    if job.kind != TaskKind::Emoji {
        return Ok(Analysis {
            faces,
            rendered: None,
        });
    }

    ctl.enter(Step::Composite)?;
    let placements: Vec<(FaceBox, Expression)> =
        faces.iter().map(|f| (f.bbox, f.expression)).collect();
    let composed = timed(Step::Composite, || {
        moji_render::compose(&image, &placements, job.template.as_str())
    })
    .map_err(|e| TaskEnd::Failed(ErrorCode::Internal, format!("compositing failed: {e}")))?;
    drop(image);

    ctl.enter(Step::Encode)?;
    let (png, thumbnail) = timed(Step::Encode, || {
        let png = moji_render::encode_png(&composed)?;
        let thumb = moji_render::thumbnail_jpeg(&composed, 256, 85)?;
        Ok::<_, moji_render::RenderError>((png, thumb))
    })
    .map_err(|e| TaskEnd::Failed(ErrorCode::Internal, format!("encoding failed: {e}")))?;
    let (width, height) = composed.dimensions();
    Ok(Analysis {
        faces,
        rendered: Some(Rendered {
            template: job.template,
            png,
            thumbnail,
            width,
            height,
        }),
    })
}
