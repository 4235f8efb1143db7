//! moji-dataset: the files of a generated dataset (issue 16).
//!
//! [`write_augmented`] makes `quantity` images with a [`Pipeline`] and streams them as a zip to
//! any writer (a storage upload, a file): `images/00000.png` …, stored rather than deflated (PNG
//! is compressed already), then `manifest.json` (each file with the seed, index and transform
//! parameters it was made with) and `preview.png` (a 4×4 sheet of the first sixteen). The writer
//! needs no `Seek` (the zip crate's stream writer), so nothing is buffered beyond one image. Sets
//! stay far inside the classic zip limits (at most 2,000 entries and, at 256 px, well under
//! 1 GiB); zip64 past them is the zip crate's and not exercised here.

use std::{io::Write, ops::ControlFlow};

use image::{imageops, ImageFormat, RgbImage};
use moji_augment::{AugmentError, Pipeline};
use serde::Serialize;
use zip::{write::SimpleFileOptions, CompressionMethod, ZipWriter};

/// Images a set may hold.
pub const QUANTITIES: std::ops::RangeInclusive<u32> = 1..=2000;
/// Images across and down the preview sheet.
pub const PREVIEW_GRID: u32 = 4;

/// What can go wrong writing a set.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The request cannot be made.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Making an image failed.
    #[error(transparent)]
    Augment(#[from] AugmentError),
    /// Encoding an image failed.
    #[error("png: {0}")]
    Png(#[from] image::ImageError),
    /// Writing the archive failed (the writer's error included).
    #[error("zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// Writing to the output failed.
    #[error("write: {0}")]
    Io(#[from] std::io::Error),
    /// The progress callback asked to stop.
    #[error("cancelled after {0} images")]
    Cancelled(u32),
}

/// One image of the set in the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct ManifestImage {
    /// Path inside the zip.
    pub file: String,
    /// Its index in the set (its random stream).
    pub index: u64,
    /// How it was made: `transforms` (augment) or `noise_seed` and `ssim` (gan).
    #[serde(flatten)]
    pub made: serde_json::Map<String, serde_json::Value>,
}

/// `manifest.json`: how the set was made, enough to make it again.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// `augment` or `gan`.
    pub method: &'static str,
    /// The set's seed.
    pub seed: u64,
    /// Side of every image.
    pub size: u32,
    /// Images in the set.
    pub quantity: u32,
    /// The method's settings: the augment pipeline, or the GAN's training report.
    pub settings: serde_json::Value,
    /// Measures of the whole set (the GAN's diversity), when there are any.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub summary: serde_json::Map<String, serde_json::Value>,
    /// Every image.
    pub images: Vec<ManifestImage>,
}

/// What was written.
#[derive(Debug)]
pub struct Written {
    /// The manifest (also in the zip).
    pub manifest: Manifest,
    /// The preview sheet as PNG (also in the zip).
    pub preview_png: Vec<u8>,
    /// Bytes of zip written.
    pub zip_bytes: u64,
}

/// Counts the bytes passing through to the output.
struct Counted<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn png(image: &RgbImage) -> Result<Vec<u8>, DatasetError> {
    let mut bytes = Vec::new();
    image.write_to(&mut std::io::Cursor::new(&mut bytes), ImageFormat::Png)?;
    Ok(bytes)
}

/// How a set is made: its manifest's head, and image `i` with what to record of it.
pub trait Maker {
    /// `augment` or `gan`.
    fn method(&self) -> &'static str;
    /// Side of every image.
    fn size(&self) -> u32;
    /// The method's settings, for the manifest.
    fn settings(&self) -> serde_json::Value;
    /// Image `index` and what the manifest records of it.
    fn make(
        &mut self,
        index: u64,
    ) -> Result<(RgbImage, serde_json::Map<String, serde_json::Value>), DatasetError>;
    /// Measures of the whole set once every image is made (none by default).
    fn summary(&mut self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::Map::new()
    }
}

/// The augment method: a seeded [`Pipeline`] over one source image.
pub struct Augmenter<'a> {
    /// The image.
    pub source: &'a RgbImage,
    /// The pipeline.
    pub pipeline: &'a Pipeline,
    /// The set's seed.
    pub seed: u64,
}

impl Maker for Augmenter<'_> {
    fn method(&self) -> &'static str {
        "augment"
    }

    fn size(&self) -> u32 {
        self.pipeline.size
    }

    fn settings(&self) -> serde_json::Value {
        serde_json::to_value(self.pipeline).unwrap_or(serde_json::Value::Null)
    }

    fn make(
        &mut self,
        index: u64,
    ) -> Result<(RgbImage, serde_json::Map<String, serde_json::Value>), DatasetError> {
        let (image, transforms) = self.pipeline.make(self.source, self.seed, index)?;
        let mut made = serde_json::Map::new();
        made.insert(
            "transforms".into(),
            serde_json::to_value(transforms).unwrap_or(serde_json::Value::Null),
        );
        Ok((image, made))
    }
}

/// Writes the set to `out` and finishes the zip. `progress(done)` runs after each image;
/// `ControlFlow::Break` stops with [`DatasetError::Cancelled`] (the zip is then unfinished and
/// must be discarded).
pub fn write_augmented<W: Write>(
    out: W,
    source: &RgbImage,
    pipeline: &Pipeline,
    seed: u64,
    quantity: u32,
    progress: impl FnMut(u32) -> ControlFlow<()>,
) -> Result<Written, DatasetError> {
    if let Some(problem) = pipeline.problem() {
        return Err(DatasetError::InvalidInput(problem));
    }
    let mut maker = Augmenter {
        source,
        pipeline,
        seed,
    };
    write_set(out, &mut maker, seed, quantity, progress)
}

/// Writes the set `maker` makes to `out` and finishes the zip; `progress` as for
/// [`write_augmented`].
pub fn write_set<W: Write>(
    out: W,
    maker: &mut dyn Maker,
    seed: u64,
    quantity: u32,
    mut progress: impl FnMut(u32) -> ControlFlow<()>,
) -> Result<Written, DatasetError> {
    if !QUANTITIES.contains(&quantity) {
        return Err(DatasetError::InvalidInput(format!(
            "quantity must lie in {} … {}",
            QUANTITIES.start(),
            QUANTITIES.end()
        )));
    }
    let mut zip = ZipWriter::new_stream(Counted {
        inner: out,
        bytes: 0,
    });
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .unix_permissions(0o644);
    let cell = maker.size();
    let mut sheet = RgbImage::new(cell * PREVIEW_GRID, cell * PREVIEW_GRID);
    let mut images = Vec::with_capacity(quantity as usize);
    for i in 0..quantity {
        let index = u64::from(i);
        let (image, made) = maker.make(index)?;
        if i < PREVIEW_GRID * PREVIEW_GRID {
            let (x, y) = (i % PREVIEW_GRID * cell, i / PREVIEW_GRID * cell);
            imageops::replace(&mut sheet, &image, i64::from(x), i64::from(y));
        }
        let file = format!("images/{i:05}.png");
        zip.start_file(file.as_str(), stored)?;
        zip.write_all(&png(&image)?)?;
        images.push(ManifestImage { file, index, made });
        if progress(i + 1).is_break() {
            return Err(DatasetError::Cancelled(i + 1));
        }
    }
    let manifest = Manifest {
        method: maker.method(),
        seed,
        size: cell,
        quantity,
        settings: maker.settings(),
        summary: maker.summary(),
        images,
    };
    zip.start_file("manifest.json", stored)?;
    serde_json::to_writer_pretty(&mut zip, &manifest).map_err(std::io::Error::from)?;
    let preview_png = png(&sheet)?;
    zip.start_file("preview.png", stored)?;
    zip.write_all(&preview_png)?;
    let mut counted = zip.finish()?.into_inner();
    // The output may buffer (a channel to an upload): everything must be out before we return.
    counted.flush()?;
    Ok(Written {
        manifest,
        preview_png,
        zip_bytes: counted.bytes,
    })
}

#[cfg(test)]
mod tests;
