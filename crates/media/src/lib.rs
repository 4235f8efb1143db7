//! Upload checks and bounded decoding of user photos.
//!
//! Everything here treats its input as hostile: the format is decided by magic bytes (never by a
//! file name or a declared content type), sizes are checked from the header before any pixel
//! buffer exists, and decoding runs under allocation limits. Pure Rust (the `image` crate with
//! only the JPEG, PNG and WebP codecs), so the api can link it without OpenCV.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, RgbImage};

/// Size limits applied to every upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted encoded file, in bytes.
    pub max_bytes: usize,
    /// Largest accepted decoded image, in pixels (width × height).
    pub max_pixels: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 15 * 1024 * 1024,
            max_pixels: 40_000_000,
        }
    }
}

/// The image formats Moji accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaFormat {
    /// JPEG (JFIF or EXIF).
    Jpeg,
    /// PNG.
    Png,
    /// WebP (lossy, lossless or extended).
    Webp,
}

impl MediaFormat {
    /// The IANA media type.
    pub fn mime(self) -> &'static str {
        match self {
            MediaFormat::Jpeg => "image/jpeg",
            MediaFormat::Png => "image/png",
            MediaFormat::Webp => "image/webp",
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            MediaFormat::Jpeg => "jpg",
            MediaFormat::Png => "png",
            MediaFormat::Webp => "webp",
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            MediaFormat::Jpeg => ImageFormat::Jpeg,
            MediaFormat::Png => ImageFormat::Png,
            MediaFormat::Webp => ImageFormat::WebP,
        }
    }
}

/// What [`probe`] learns from the header alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    /// The sniffed format.
    pub format: MediaFormat,
    /// Width in pixels as stored (before EXIF orientation).
    pub width: u32,
    /// Height in pixels as stored (before EXIF orientation).
    pub height: u32,
}

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The encoded file is larger than [`Limits::max_bytes`].
    #[error("image is {bytes} bytes; the limit is {limit}")]
    TooLarge {
        /// Size of the upload.
        bytes: usize,
        /// The limit in force.
        limit: usize,
    },
    /// The decoded image would exceed [`Limits::max_pixels`].
    #[error("image is {width}x{height} pixels; the limit is {limit} pixels")]
    TooManyPixels {
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// The limit in force.
        limit: u64,
    },
    /// Not a JPEG, PNG or WebP, or a variant of one that the decoder does not support.
    #[error("unsupported image format (JPEG, PNG or WebP expected)")]
    UnsupportedFormat,
    /// The file claims a supported format but cannot be decoded.
    #[error("corrupt image: {0}")]
    Corrupt(String),
}

/// Tells the format from the magic bytes at the start of `bytes`.
pub fn sniff(bytes: &[u8]) -> Result<MediaFormat, MediaError> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok(MediaFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok(MediaFormat::Png)
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Ok(MediaFormat::Webp)
    } else {
        Err(MediaError::UnsupportedFormat)
    }
}

/// Checks size, format and dimensions from the header only; no pixel buffer is allocated.
pub fn probe(bytes: &[u8], limits: &Limits) -> Result<ImageInfo, MediaError> {
    if bytes.len() > limits.max_bytes {
        return Err(MediaError::TooLarge {
            bytes: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let format = sniff(bytes)?;
    let (width, height) = guarded(|| {
        let mut reader = ImageReader::new(Cursor::new(bytes));
        reader.set_format(format.image_format());
        // Header parsing needs little memory; the cap stops a header that declares huge
        // metadata from making the decoder reserve it.
        let mut header_limits = image::Limits::default();
        header_limits.max_alloc = Some(HEADER_ALLOC_LIMIT);
        reader.limits(header_limits);
        reader.into_dimensions()
    })?
    .map_err(map_header_error)?;
    if width == 0 || height == 0 {
        return Err(MediaError::Corrupt(format!(
            "image declares {width}x{height} pixels"
        )));
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(MediaError::TooManyPixels {
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    Ok(ImageInfo {
        format,
        width,
        height,
    })
}

/// Decodes to 8-bit RGB, upright according to the EXIF orientation, within `limits`.
///
/// Alpha is dropped (transparent pixels keep whatever colour they store).
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<RgbImage, MediaError> {
    let info = probe(bytes, limits)?;
    if info.format == MediaFormat::Jpeg && !jpeg_has_end_marker(bytes) {
        // zune-jpeg pads a truncated entropy stream with grey instead of failing; a half
        // photo must not reach the models as if it were whole.
        return Err(MediaError::Corrupt(
            "truncated JPEG (no end-of-image marker)".into(),
        ));
    }
    let too_many = || MediaError::TooManyPixels {
        width: info.width,
        height: info.height,
        limit: limits.max_pixels,
    };
    // The widest colour type the codecs produce is RGBA16 (8 bytes per pixel), so this lets a
    // legitimate image of the maximum size through and stops anything the header did not announce.
    let max_alloc = limits.max_pixels.saturating_mul(8);
    let decoded = guarded(|| -> Result<DynamicImage, MediaError> {
        let mut reader = ImageReader::new(Cursor::new(bytes));
        reader.set_format(info.format.image_format());
        let mut image_limits = image::Limits::default();
        image_limits.max_image_width = Some(info.width);
        image_limits.max_image_height = Some(info.height);
        image_limits.max_alloc = Some(max_alloc);
        reader.limits(image_limits);
        let mut decoder = reader.into_decoder().map_err(|e| map_error(e, too_many))?;
        if decoder.total_bytes() > max_alloc {
            return Err(too_many());
        }
        // A damaged EXIF block should not cost the person their upload: show it as stored.
        let orientation = decoder
            .orientation()
            .unwrap_or(image::metadata::Orientation::NoTransforms);
        let mut img = DynamicImage::from_decoder(decoder).map_err(|e| map_error(e, too_many))?;
        img.apply_orientation(orientation);
        Ok(img)
    })??;
    Ok(match decoded {
        DynamicImage::ImageRgb8(rgb) => rgb,
        other => other.to_rgb8(),
    })
}

/// Header parsing should never need more than this.
const HEADER_ALLOC_LIMIT: u64 = 64 * 1024 * 1024;

/// Runs a decoder step, turning a panic inside a codec into `Corrupt`.
///
/// Codecs are fuzzed upstream but still see hostile bytes here; one bad upload must not take
/// down a worker thread.
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, MediaError> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|_| MediaError::Corrupt("the decoder rejected the data".into()))
}

fn map_header_error(e: ImageError) -> MediaError {
    match e {
        ImageError::Unsupported(_) => MediaError::UnsupportedFormat,
        // Only the header was read, so the dimensions are not known here.
        ImageError::Limits(l) => MediaError::Corrupt(format!("header exceeds limits: {l}")),
        other => MediaError::Corrupt(other.to_string()),
    }
}

fn map_error(e: ImageError, too_many: impl FnOnce() -> MediaError) -> MediaError {
    match e {
        ImageError::Limits(_) => too_many(),
        ImageError::Unsupported(_) => MediaError::UnsupportedFormat,
        other => MediaError::Corrupt(other.to_string()),
    }
}

/// Whether a JPEG has an end-of-image marker after its first scan.
///
/// Walks the marker segments to the first start-of-scan (so an EXIF thumbnail's own EOI is not
/// mistaken for ours), then looks for `FF D9` in the entropy-coded data, where a literal 0xFF is
/// always stuffed as `FF 00` and so cannot fake the marker.
fn jpeg_has_end_marker(bytes: &[u8]) -> bool {
    let mut i = 2;
    loop {
        if i >= bytes.len() || bytes[i] != 0xFF {
            return false;
        }
        while i < bytes.len() && bytes[i] == 0xFF {
            i += 1;
        }
        let Some(&marker) = bytes.get(i) else {
            return false;
        };
        i += 1;
        match marker {
            0xD9 => return true,
            0x01 | 0xD0..=0xD7 => {}
            _ => {
                let Some(len) = bytes
                    .get(i..i + 2)
                    .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
                else {
                    return false;
                };
                if len < 2 {
                    return false;
                }
                i += len;
                if marker == 0xDA {
                    return bytes
                        .get(i..)
                        .is_some_and(|rest| rest.windows(2).any(|w| w == [0xFF, 0xD9]));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_recognises_magic_bytes() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]).unwrap(), MediaFormat::Jpeg);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0").unwrap(), MediaFormat::Png);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ").unwrap(), MediaFormat::Webp);
        assert!(matches!(
            sniff(b"RIFF\0\0\0\0WAVE"),
            Err(MediaError::UnsupportedFormat)
        ));
        assert!(matches!(sniff(b""), Err(MediaError::UnsupportedFormat)));
        assert!(matches!(
            sniff(b"GIF89a"),
            Err(MediaError::UnsupportedFormat)
        ));
    }

    #[test]
    fn mime_and_extension() {
        assert_eq!(MediaFormat::Jpeg.mime(), "image/jpeg");
        assert_eq!(MediaFormat::Webp.extension(), "webp");
    }

    #[test]
    fn end_marker_walk() {
        // SOI, APP0 (len 4), SOS (len 2), data with a stuffed FF00, EOI.
        let ok = [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 1, 2, 0xFF, 0xDA, 0, 2, 5, 0xFF, 0, 6, 0xFF, 0xD9,
        ];
        assert!(jpeg_has_end_marker(&ok));
        assert!(!jpeg_has_end_marker(&ok[..ok.len() - 1]));
        // An EOI inside an APP segment (a thumbnail) does not count.
        let thumb = [
            0xFF, 0xD8, 0xFF, 0xE1, 0, 4, 0xFF, 0xD9, 0xFF, 0xDA, 0, 2, 5, 6,
        ];
        assert!(!jpeg_has_end_marker(&thumb));
    }
}
