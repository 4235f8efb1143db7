//! The dataset maker's wire types (docs/datasets.md): how a set is made, the
//! `dataset.generate` task and the result a worker reports in `task.succeeded`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::MessageType;

wire_enum! {
    /// How the images of a set are made.
    pub enum DatasetMethod {
        /// A seeded augmentation pipeline (crop, flips, affine, perspective, colour, blur,
        /// noise, cutout, JPEG quality) applied to the one image.
        Augment = "augment",
        /// A single-image GAN (a pyramid of small generators) trained on the image, then
        /// sampled: new images with its textures and parts in new arrangements. 64 px only.
        Gan = "gan",
    }
}

wire_enum! {
    /// Where a dataset is in its life: `queued -> running -> ready | failed | cancelled`.
    pub enum DatasetStatus {
        /// Accepted and waiting for a worker.
        Queued = "queued",
        /// A worker is making it.
        Running = "running",
        /// Made: its zip and preview can be fetched.
        Ready = "ready",
        /// Could not be made (the error says why); its images went back to the quota.
        Failed = "failed",
        /// Stopped by its owner; nothing was kept.
        Cancelled = "cancelled",
    }
}

impl DatasetStatus {
    /// True for the three end states.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Ready | Self::Failed | Self::Cancelled)
    }
}

wire_enum! {
    /// What a dataset is of (the seed's categories).
    pub enum DatasetCategory {
        /// People and faces.
        People = "people",
        /// Animals.
        Animals = "animals",
        /// Food and drink.
        Food = "food",
        /// Landscapes and cities.
        Places = "places",
        /// Things and products.
        Objects = "objects",
        /// Art, drawings, textures.
        Art = "art",
        /// Anything else.
        Other = "other",
    }
}

/// Sides a set's images may have.
pub const DATASET_SIZES: [u32; 3] = [64, 128, 256];

/// `dataset.generate` v1: api -> inference. Make the images of a dataset and store its zip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DatasetGenerateV1 {
    /// The dataset (also its task id in Redis).
    pub dataset_id: Uuid,
    /// Its owner.
    pub user_id: Uuid,
    /// The uploaded image, `uploads/<user>/<uuid>.<ext>`.
    pub source_key: String,
    /// How to make the images.
    pub method: DatasetMethod,
    /// Side of every image in pixels (64, 128 or 256).
    pub size: u32,
    /// Images to make (1..=2000).
    pub quantity: u32,
    /// The seed: the same seed, image and settings give the same set.
    pub seed: u64,
}

impl MessageType for DatasetGenerateV1 {
    const TYPE: &'static str = "dataset.generate";
    const VERSION: u32 = 1;
}

/// The result of a `dataset` task in `task.succeeded`: where the files are and what they hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DatasetResult {
    /// `datasets/<id>.zip`: the images, `manifest.json` and `preview.png`.
    pub zip_key: String,
    /// Its size in bytes.
    pub zip_bytes: u64,
    /// `datasets/<id>-preview.png`: a 4×4 sheet of the first sixteen images.
    pub preview_key: String,
    /// Images in the zip.
    pub images: u32,
    /// Seconds the generation took.
    pub seconds: f64,
    /// GAN sets: the mean SSIM of the samples to the input (1 would be copies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_ssim: Option<f64>,
    /// GAN sets: the mean pairwise diversity of the samples (1 − SSIM between them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diversity: Option<f64>,
}

/// Object key of a dataset's zip.
pub fn zip_key(id: Uuid) -> String {
    format!("datasets/{id}.zip")
}

/// Object key of a dataset's preview sheet.
pub fn preview_key(id: Uuid) -> String {
    format!("datasets/{id}-preview.png")
}
