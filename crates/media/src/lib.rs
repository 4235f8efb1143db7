//! Upload checks and bounded decoding of user photos.
//!
//! Everything here treats its input as hostile: the format is decided by magic bytes (never by a
//! file name or a declared content type), sizes are checked from the header before any pixel
//! buffer exists, and decoding runs under allocation limits. Pure Rust (the `image` crate with
//! only the JPEG, PNG and WebP codecs), so the api can link it without OpenCV.
//!
//! [`check_upload`] is the one upload check: the api runs it before it queues a photo, and
//! [`decode`] runs it again in the worker, so both refuse exactly the same files.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, RgbImage};

/// Size limits applied to every upload.
///
/// Build it once from settings with [`Limits::new`] and pass it by reference; the
/// [`Default`] values equal the settings' defaults (15 MiB, 40 MP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted encoded file, in bytes.
    pub max_bytes: usize,
    /// Largest accepted decoded image, in pixels (width × height).
    pub max_pixels: u64,
}

impl Limits {
    /// Limits of `max_bytes` encoded bytes and `max_pixels` decoded pixels (width × height).
    ///
    /// Services call it once at start-up, e.g.
    /// `Limits::new(settings.faces.max_image_bytes, settings.faces.max_image_pixels)`.
    pub const fn new(max_bytes: usize, max_pixels: u64) -> Self {
        Self {
            max_bytes,
            max_pixels,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new(15 * 1024 * 1024, 40_000_000)
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

/// What [`check_upload`] learns from the header.
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
    /// The file claims a supported format but its structure is broken.
    #[error("corrupt image: {0}")]
    Corrupt(String),
    /// The file stops before its format says it ends (an upload cut off in transit).
    #[error("truncated image: {0}")]
    Truncated(String),
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

/// The one upload check: size, format (by magic bytes), header dimensions against the pixel
/// limit, and completeness; no pixel buffer is allocated.
///
/// In that order it refuses with [`MediaError::TooLarge`], [`MediaError::UnsupportedFormat`],
/// [`MediaError::Corrupt`] (an unreadable header) or [`MediaError::TooManyPixels`], and
/// finally [`MediaError::Truncated`] when the file stops before its format's end: a JPEG
/// without an end-of-image marker after its first scan, a PNG that does not end with its
/// `IEND` chunk, a WebP shorter than its RIFF header declares. Bytes after a JPEG's end
/// marker (zero padding, a camera's trailer) are allowed; a JPEG whose chain of segments
/// breaks before its first scan is `Corrupt`. An unreadable header in a file that is also
/// incomplete by those rules is `Truncated` too (cut off inside its header).
pub fn check_upload(bytes: &[u8], limits: &Limits) -> Result<ImageInfo, MediaError> {
    let info = match read_header(bytes, limits) {
        Err(MediaError::Corrupt(why)) => {
            // An unreadable header in a file that stops early was most likely cut off.
            check_complete(sniff(bytes)?, bytes)?;
            return Err(MediaError::Corrupt(why));
        }
        other => other?,
    };
    check_complete(info.format, bytes)?;
    Ok(info)
}

/// Checks size, format and dimensions from the header only (the first half of
/// [`check_upload`]); no pixel buffer is allocated.
fn read_header(bytes: &[u8], limits: &Limits) -> Result<ImageInfo, MediaError> {
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
/// Runs [`check_upload`] first, so it refuses whatever the upload check refuses (zune-jpeg
/// would pad a truncated JPEG with grey instead of failing: a half photo must not reach the
/// models as if it were whole). Alpha is dropped (transparent pixels keep whatever colour
/// they store).
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<RgbImage, MediaError> {
    let info = check_upload(bytes, limits)?;
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

/// Whether the file goes on as far as its format says it must (see [`check_upload`]).
fn check_complete(format: MediaFormat, bytes: &[u8]) -> Result<(), MediaError> {
    match format {
        MediaFormat::Jpeg => jpeg_complete(bytes),
        MediaFormat::Png => {
            const IEND: [u8; 12] = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];
            if bytes.len() >= PNG_SIGNATURE_LEN + IEND.len() && bytes.ends_with(&IEND) {
                Ok(())
            } else {
                Err(MediaError::Truncated(
                    "the PNG does not end with its IEND chunk".into(),
                ))
            }
        }
        MediaFormat::Webp => {
            let declared = bytes
                .get(4..8)
                .map_or(u32::MAX, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            let wanted = u64::from(declared) + 8;
            if wanted <= bytes.len() as u64 {
                Ok(())
            } else {
                Err(MediaError::Truncated(format!(
                    "the WebP declares {wanted} bytes but has {}",
                    bytes.len()
                )))
            }
        }
    }
}

/// Length of the PNG signature.
const PNG_SIGNATURE_LEN: usize = 8;

/// Whether a JPEG has an end-of-image marker after its first scan.
///
/// Walks the marker segments to the first start-of-scan (so an EXIF thumbnail's own EOI is not
/// mistaken for ours), then looks for `FF D9` in what follows, where a literal 0xFF is always
/// stuffed as `FF 00` and so cannot fake the marker. Anything after the EOI (padding, a
/// maker's trailer) is allowed. Running out of bytes is `Truncated`; a segment where no
/// marker can be is `Corrupt`.
fn jpeg_complete(bytes: &[u8]) -> Result<(), MediaError> {
    let cut = || MediaError::Truncated("the JPEG has no end-of-image marker".into());
    let broken = |at: usize| MediaError::Corrupt(format!("no JPEG marker at byte {at}"));
    let mut i = 2;
    loop {
        match bytes.get(i) {
            None => return Err(cut()),
            Some(0xFF) => {}
            Some(_) => return Err(broken(i)),
        }
        // Any number of 0xFF fill bytes may precede a marker.
        while bytes.get(i) == Some(&0xFF) {
            i += 1;
        }
        let Some(&marker) = bytes.get(i) else {
            return Err(cut());
        };
        i += 1;
        match marker {
            0xD9 => return Ok(()),
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => {}
            _ => {
                let Some(len) = bytes
                    .get(i..i + 2)
                    .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
                else {
                    return Err(cut());
                };
                if len < 2 {
                    return Err(broken(i));
                }
                i += len;
                if marker == 0xDA {
                    // Searched from the end: the EOI is usually the last marker.
                    let ends = bytes
                        .get(i..)
                        .is_some_and(|rest| rest.windows(2).rev().any(|w| w == [0xFF, 0xD9]));
                    return if ends { Ok(()) } else { Err(cut()) };
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

    fn complete(format: MediaFormat, bytes: &[u8]) -> bool {
        match check_complete(format, bytes) {
            Ok(()) => true,
            Err(MediaError::Truncated(_)) => false,
            Err(other) => panic!("expected Truncated, got {other:?}"),
        }
    }

    #[test]
    fn end_marker_walk() {
        // SOI, APP0 (len 4), SOS (len 2), data with a stuffed FF00, EOI.
        let ok = [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 1, 2, 0xFF, 0xDA, 0, 2, 5, 0xFF, 0, 6, 0xFF, 0xD9,
        ];
        assert!(complete(MediaFormat::Jpeg, &ok));
        for cut in 2..ok.len() {
            assert!(!complete(MediaFormat::Jpeg, &ok[..cut]), "cut at {cut}");
        }
        // Zero padding or a trailer after the EOI is fine.
        let mut padded = ok.to_vec();
        padded.extend_from_slice(&[0, 0, 0, 0]);
        assert!(complete(MediaFormat::Jpeg, &padded));
        padded.extend_from_slice(b"trailer");
        assert!(complete(MediaFormat::Jpeg, &padded));
        // An EOI inside an APP segment (a thumbnail) does not count.
        let thumb = [
            0xFF, 0xD8, 0xFF, 0xE1, 0, 4, 0xFF, 0xD9, 0xFF, 0xDA, 0, 2, 5, 6,
        ];
        assert!(!complete(MediaFormat::Jpeg, &thumb));
        // Not a marker where one must be, or an impossible length: corrupt, not truncated.
        let stray = [0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 1, 2, 0x42, 0xFF, 0xD9];
        assert!(matches!(
            check_complete(MediaFormat::Jpeg, &stray),
            Err(MediaError::Corrupt(_))
        ));
        let short = [0xFF, 0xD8, 0xFF, 0xE0, 0, 1, 0xFF, 0xD9];
        assert!(matches!(
            check_complete(MediaFormat::Jpeg, &short),
            Err(MediaError::Corrupt(_))
        ));
    }

    /// The cases of the api's former `is_complete`.
    #[test]
    fn completeness_by_format() {
        let png_tail = [0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82];
        let mut png = vec![0x89, b'P', b'N', b'G', 13, 10, 26, 10];
        png.extend_from_slice(&png_tail);
        assert!(complete(MediaFormat::Png, &png));
        assert!(!complete(MediaFormat::Png, &png[..png.len() - 1]));
        assert!(!complete(MediaFormat::Png, &png_tail));
        assert!(complete(MediaFormat::Jpeg, &[0xFF, 0xD8, 0xFF, 0xD9, 0, 0]));
        assert!(!complete(
            MediaFormat::Jpeg,
            &[0xFF, 0xD8, 0xFF, 0xE0, 0x12]
        ));
        let mut webp = b"RIFF\x04\x00\x00\x00WEBP".to_vec();
        assert!(complete(MediaFormat::Webp, &webp));
        webp[4] = 200;
        assert!(!complete(MediaFormat::Webp, &webp));
        webp[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(!complete(MediaFormat::Webp, &webp));
    }

    #[test]
    fn limits_new_and_default() {
        let l = Limits::new(1000, 2000);
        assert_eq!((l.max_bytes, l.max_pixels), (1000, 2000));
        assert_eq!(Limits::default(), Limits::new(15 * 1024 * 1024, 40_000_000));
    }
}
