//! `media.process`: an uploaded photo of a post, product or avatar becomes a display image
//! (long side 1080 px) and a thumbnail (320 px), upright (EXIF orientation applied) and
//! re-encoded as JPEG without any of the upload's metadata. The outcome is published as
//! `media.processed` and only then is the message acknowledged.
//!
//! Redelivery is harmless: the outputs go to fixed keys and the api records an outcome once.

use std::time::Instant;

use bytes::Bytes;
use moji_common::{
    messages::{MediaOutcome, MediaProcessV1, MediaProcessedV1},
    Envelope, ErrorCode, MessageType,
};
use moji_media::Limits;
use moji_mq::{Incoming, Outcome};
use moji_vision::photo::{fit_within, DISPLAY_LONG_SIDE, THUMBNAIL_LONG_SIDE};

use crate::{metrics, task_end::TaskEnd, worker::Worker};

/// JPEG quality of display images.
const DISPLAY_QUALITY: u8 = 85;
/// JPEG quality of thumbnails.
const THUMBNAIL_QUALITY: u8 = 80;

/// The metric label of this work.
pub const KIND: &str = "media";

/// Both encoded images and the display size.
struct Encoded {
    display: Vec<u8>,
    thumbnail: Vec<u8>,
    width: u32,
    height: u32,
}

/// Decodes (bounded, upright), resizes with OpenCV and encodes; runs on a vision thread.
fn convert(bytes: &[u8], limits: &Limits) -> Result<Encoded, TaskEnd> {
    let image = moji_media::decode(bytes, limits).map_err(|e| {
        TaskEnd::Failed(
            ErrorCode::InvalidImage,
            format!("the image cannot be read: {e}"),
        )
    })?;
    let display = fit_within(&image, DISPLAY_LONG_SIDE)
        .map_err(|e| TaskEnd::Retry(format!("resize: {e}")))?;
    drop(image);
    let thumbnail = fit_within(&display, THUMBNAIL_LONG_SIDE)
        .map_err(|e| TaskEnd::Retry(format!("resize: {e}")))?;
    let encode = |img: &image::RgbImage, q: u8| {
        moji_render::encode_jpeg(img, q).map_err(|e| TaskEnd::Retry(format!("encode: {e}")))
    };
    Ok(Encoded {
        display: encode(&display, DISPLAY_QUALITY)?,
        thumbnail: encode(&thumbnail, THUMBNAIL_QUALITY)?,
        width: display.width(),
        height: display.height(),
    })
}

impl Worker {
    /// Handles one `media.process` delivery and says how to settle it.
    pub async fn handle_media(&self, msg: Incoming<MediaProcessV1>) -> Outcome {
        let job = msg.envelope.payload;
        let started = Instant::now();
        metrics::IN_FLIGHT.inc();
        let end = self.process_media(&job).await;
        metrics::IN_FLIGHT.dec();
        let end = match end {
            Ok(()) => TaskEnd::Succeeded(serde_json::Value::Null),
            Err(end) => end,
        };
        match &end {
            TaskEnd::Retry(why) => {
                tracing::warn!(media_id = %job.media_id, %why, delivery = msg.delivery_count, "media will be retried");
            }
            _ => metrics::TASK_SECONDS
                .with_label_values(&[KIND])
                .observe(started.elapsed().as_secs_f64()),
        }
        metrics::TASKS.with_label_values(&[KIND, end.label()]).inc();
        end.settle()
    }

    async fn process_media(&self, job: &MediaProcessV1) -> Result<(), TaskEnd> {
        let outcome = match self.storage.get(&job.source_key).await {
            Ok(bytes) => self.convert_and_store(job, bytes).await,
            Err(moji_storage::StorageError::NotFound(_)) => Err(TaskEnd::Failed(
                ErrorCode::InvalidImage,
                "the upload is missing (was it ever completed?)".into(),
            )),
            Err(e) => Err(e.into()),
        };
        let outcome = match outcome {
            Ok(ready) => ready,
            Err(TaskEnd::Failed(code, detail)) => MediaOutcome::Failed { code, detail },
            Err(other) => return Err(other),
        };
        if let MediaOutcome::Failed { detail, .. } = &outcome {
            tracing::info!(media_id = %job.media_id, %detail, "upload cannot be processed");
        }
        let payload = MediaProcessedV1 {
            media_id: job.media_id,
            user_id: job.user_id,
            outcome,
        };
        let env = Envelope::new("inference", job.media_id, payload);
        self.broker
            .publish(
                &self.broker.topology().events_exchange(),
                MediaProcessedV1::TYPE,
                &env,
            )
            .await
            .map_err(|e| TaskEnd::Retry(format!("publishing the outcome: {e}")))
    }

    async fn convert_and_store(
        &self,
        job: &MediaProcessV1,
        bytes: Bytes,
    ) -> Result<MediaOutcome, TaskEnd> {
        let limits = self.media_limits;
        let encoded = self
            .pool
            .run(move |_models| convert(&bytes, &limits))
            .await??;
        tokio::try_join!(
            self.storage
                .put(&job.display_key, Bytes::from(encoded.display), "image/jpeg"),
            self.storage.put(
                &job.thumbnail_key,
                Bytes::from(encoded.thumbnail),
                "image/jpeg"
            ),
        )?;
        Ok(MediaOutcome::Ready {
            width: encoded.width,
            height: encoded.height,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_photo_becomes_upright_display_and_thumbnail_jpegs() {
        let img =
            image::RgbImage::from_fn(1600, 1200, |x, _| image::Rgb([(x % 256) as u8, 90, 40]));
        let mut png = Vec::new();
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .unwrap();
        let out = convert(&png, &Limits::default()).unwrap();
        assert_eq!((out.width, out.height), (1080, 810));
        let display = image::load_from_memory(&out.display).unwrap();
        assert_eq!((display.width(), display.height()), (1080, 810));
        let thumb = image::load_from_memory(&out.thumbnail).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 240));
        assert!(out.display.starts_with(&[0xFF, 0xD8, 0xFF]));
        assert!(matches!(
            convert(b"not an image", &Limits::default()),
            Err(TaskEnd::Failed(ErrorCode::InvalidImage, _))
        ));
    }
}
