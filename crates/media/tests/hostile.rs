#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Hostile and edge-case uploads: every one must end in a typed error, quickly, without a panic
//! and without a pixel buffer sized by what the header claims.

mod common;

use std::time::{Duration, Instant};

use common::*;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder, Rgb, RgbImage};
use moji_media::{check_upload, decode, sniff, Limits, MediaError, MediaFormat};
use rand::{Rng, SeedableRng};

fn limits() -> Limits {
    Limits::default()
}

/// Peak resident set size of this process so far, in kB (Linux).
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[test]
fn valid_images_decode_in_all_three_formats() {
    let img = gradient(40, 30);

    let j = jpeg(&img);
    let info = check_upload(&j, &limits()).unwrap();
    assert_eq!(
        (info.format, info.width, info.height),
        (MediaFormat::Jpeg, 40, 30)
    );
    assert_eq!(decode(&j, &limits()).unwrap().dimensions(), (40, 30));

    let p = png(&img);
    assert_eq!(
        check_upload(&p, &limits()).unwrap().format,
        MediaFormat::Png
    );
    assert_eq!(decode(&p, &limits()).unwrap(), img, "PNG is lossless");

    let mut w = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut w)
        .write_image(img.as_raw(), 40, 30, ExtendedColorType::Rgb8)
        .unwrap();
    let info = check_upload(&w, &limits()).unwrap();
    assert_eq!(
        (info.format, info.width, info.height),
        (MediaFormat::Webp, 40, 30)
    );
    assert_eq!(decode(&w, &limits()).unwrap(), img, "lossless WebP");
    assert_eq!(info.format.mime(), "image/webp");
}

fn webp(img: &RgbImage) -> Vec<u8> {
    let mut w = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut w)
        .write_image(
            img.as_raw(),
            img.width(),
            img.height(),
            ExtendedColorType::Rgb8,
        )
        .unwrap();
    w
}

fn assert_truncated(result: Result<impl std::fmt::Debug, MediaError>, what: &str) {
    match result {
        Err(MediaError::Truncated(_)) => {}
        other => panic!("{what}: expected Truncated, got {other:?}"),
    }
}

#[test]
fn every_cut_of_a_real_image_is_truncated() {
    let img = gradient(96, 64);
    for (name, bytes) in [
        ("JPEG", jpeg(&img)),
        ("PNG", png(&img)),
        ("WebP", webp(&img)),
    ] {
        assert!(check_upload(&bytes, &limits()).is_ok(), "{name} whole");
        let magic = if name == "WebP" { 12 } else { 8 }.min(bytes.len());
        // Every cut after the magic bytes, in the header or in the data, says "cut off".
        for cut in magic..bytes.len() {
            assert_truncated(
                check_upload(&bytes[..cut], &limits()),
                &format!("{name} cut at {cut}"),
            );
        }
        // And decoding applies the same check.
        for cut in (magic..bytes.len()).step_by(37) {
            assert_truncated(
                decode(&bytes[..cut], &limits()),
                &format!("{name} decoded cut at {cut}"),
            );
        }
    }
}

#[test]
fn half_a_jpeg_never_reaches_the_decoder() {
    // zune-jpeg would pad the missing half with grey and report success.
    let j = jpeg(&gradient(256, 256));
    let half = &j[..j.len() / 2];
    assert_eq!(sniff(half).unwrap(), MediaFormat::Jpeg);
    assert_truncated(check_upload(half, &limits()), "half a JPEG");
    assert_truncated(decode(half, &limits()), "half a JPEG, decoded");
    // Every cut point, including inside the headers, ends in an error rather than a panic.
    for cut in (3..j.len()).step_by(97) {
        assert!(decode(&j[..cut], &limits()).is_err(), "cut at {cut}");
    }
}

#[test]
fn jpeg_padding_and_trailers_after_the_end_marker_are_accepted() {
    let img = gradient(40, 30);
    let j = jpeg(&img);
    assert_eq!(&j[j.len() - 2..], [0xFF, 0xD9]);
    // Some encoders pad to a block size with zeros; some cameras append their own data.
    let mut padded = j.clone();
    padded.extend_from_slice(&[0; 1000]);
    let mut trailer = j.clone();
    trailer.extend_from_slice(b"\x00\x00MAKER-TRAILER\xFF\xD8 not an image");
    for bytes in [padded, trailer] {
        let info = check_upload(&bytes, &limits()).unwrap();
        assert_eq!(
            (info.format, info.width, info.height),
            (MediaFormat::Jpeg, 40, 30)
        );
        assert_eq!(decode(&bytes, &limits()).unwrap().dimensions(), (40, 30));
    }
    // Padding does not make a file cut off in its scan whole.
    let big = jpeg(&gradient(256, 256));
    let mut cut = big[..big.len() / 2].to_vec();
    cut.extend_from_slice(&[0; 1000]);
    assert_truncated(check_upload(&cut, &limits()), "half a JPEG, zero-padded");
}

#[test]
fn an_exif_thumbnail_end_marker_does_not_hide_a_cut() {
    // An EXIF block with a complete thumbnail JPEG in it, end-of-image marker included.
    let thumbnail = jpeg(&gradient(16, 12));
    let app1 = exif_app1_with_thumbnail(&thumbnail);
    let photo = with_segments_after_soi(&jpeg(&gradient(200, 150)), std::slice::from_ref(&app1));
    let info = check_upload(&photo, &limits()).unwrap();
    assert_eq!((info.width, info.height), (200, 150));
    assert_eq!(decode(&photo, &limits()).unwrap().dimensions(), (200, 150));

    // Cut right after the thumbnail: the file ends in FF D9 (the thumbnail's), which a
    // "last bytes are FF D9" rule would take for a whole photo.
    let after_thumbnail = &photo[..2 + app1.len()];
    assert_eq!(&after_thumbnail[after_thumbnail.len() - 2..], [0xFF, 0xD9]);
    assert_truncated(
        check_upload(after_thumbnail, &limits()),
        "cut after the thumbnail",
    );
    // Cut in the photo's own data, with the thumbnail's marker earlier in the file.
    let half = &photo[..photo.len() * 3 / 4];
    assert_truncated(check_upload(half, &limits()), "cut in the scan");
    assert_truncated(decode(half, &limits()), "decoded cut in the scan");
}

#[test]
fn webp_shorter_than_its_riff_header_is_truncated_and_longer_is_fine() {
    let w = webp(&gradient(30, 20));
    let declared = u32::from_le_bytes([w[4], w[5], w[6], w[7]]) as usize;
    assert_eq!(declared + 8, w.len());
    let mut longer = w.clone();
    longer.extend_from_slice(&[0; 16]);
    assert_eq!(decode(&longer, &limits()).unwrap().dimensions(), (30, 20));
    let mut lying = w.clone();
    lying[4..8].copy_from_slice(&(declared as u32 + 1).to_le_bytes());
    assert_truncated(check_upload(&lying, &limits()), "WebP one byte short");
}

#[test]
fn png_claiming_30000_square_is_refused_from_the_header() {
    let bytes = png_claiming(30_000, 30_000, &[]);
    assert!(bytes.len() < 100);
    let rss_before = peak_rss_kb();
    let start = Instant::now();
    match check_upload(&bytes, &limits()) {
        Err(MediaError::TooManyPixels {
            width: 30_000,
            height: 30_000,
            limit: 40_000_000,
        }) => {}
        other => panic!("expected TooManyPixels, got {other:?}"),
    }
    match decode(&bytes, &limits()) {
        Err(MediaError::TooManyPixels { .. }) => {}
        other => panic!("expected TooManyPixels, got {other:?}"),
    }
    assert!(
        start.elapsed() < Duration::from_millis(200),
        "{:?}",
        start.elapsed()
    );
    // 30000x30000 RGB would be 2.7 GB; other tests in this binary allocate tens of MB at most.
    if let (Some(before), Some(after)) = (rss_before, peak_rss_kb()) {
        assert!(
            after - before < 300_000,
            "peak RSS grew by {} kB",
            after - before
        );
    }
}

#[test]
fn declared_dimensions_zero_are_corrupt() {
    let bytes = png_claiming(0, 10, &[]);
    assert!(matches!(
        check_upload(&bytes, &limits()),
        Err(MediaError::Corrupt(_))
    ));
}

#[test]
fn decompression_bomb_is_refused_before_decoding() {
    // 8000x6000 grey zeros: 48 MP, compresses to a few tens of kB.
    let (w, h) = (8000u32, 6000u32);
    let zeros = vec![0u8; (w * h) as usize];
    let mut bomb = Vec::new();
    PngEncoder::new_with_quality(&mut bomb, CompressionType::Best, FilterType::NoFilter)
        .write_image(&zeros, w, h, ExtendedColorType::L8)
        .unwrap();
    drop(zeros);
    assert!(bomb.len() < 100_000, "bomb is {} bytes", bomb.len());
    let start = Instant::now();
    match decode(&bomb, &limits()) {
        Err(MediaError::TooManyPixels {
            width: 8000,
            height: 6000,
            ..
        }) => {}
        other => panic!("expected TooManyPixels, got {other:?}"),
    }
    assert!(
        start.elapsed() < Duration::from_millis(500),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn pixel_limit_is_configurable() {
    let img = gradient(200, 100);
    let tight = Limits::new(Limits::default().max_bytes, 19_999);
    assert!(matches!(
        decode(&png(&img), &tight),
        Err(MediaError::TooManyPixels {
            width: 200,
            height: 100,
            limit: 19_999
        })
    ));
    let exact = Limits::new(Limits::default().max_bytes, 20_000);
    assert!(decode(&png(&img), &exact).is_ok());
}

#[test]
fn oversized_upload_is_too_large() {
    let tight = Limits::new(1000, Limits::default().max_pixels);
    let p = png(&gradient(64, 64));
    assert!(p.len() > 1000);
    assert!(matches!(
        check_upload(&p, &tight),
        Err(MediaError::TooLarge { limit: 1000, .. })
    ));
}

#[test]
fn zero_bytes_text_and_random_bytes_are_unsupported() {
    assert!(matches!(
        check_upload(&[], &limits()),
        Err(MediaError::UnsupportedFormat)
    ));
    assert!(matches!(
        decode(&[], &limits()),
        Err(MediaError::UnsupportedFormat)
    ));
    assert!(matches!(
        decode(b"hello, this is not an image\n", &limits()),
        Err(MediaError::UnsupportedFormat)
    ));
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for _ in 0..200 {
        let len = rng.random_range(0..4096);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        if let Some(b) = bytes.first_mut() {
            *b = 0; // no supported magic starts with 0x00
        }
        assert!(matches!(
            decode(&bytes, &limits()),
            Err(MediaError::UnsupportedFormat)
        ));
    }
}

#[test]
fn gif_and_polyglots_are_unsupported() {
    // A complete 1x1 GIF89a.
    let gif: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
    assert!(matches!(sniff(gif), Err(MediaError::UnsupportedFormat)));
    assert!(matches!(
        decode(gif, &limits()),
        Err(MediaError::UnsupportedFormat)
    ));

    // A valid PNG behind an HTML prefix, and behind a GIF: sniffing looks at the start only.
    let p = png(&gradient(8, 8));
    for prefix in [&b"<html><script>alert(1)</script>"[..], gif] {
        let mut poly = prefix.to_vec();
        poly.extend_from_slice(&p);
        assert!(matches!(
            decode(&poly, &limits()),
            Err(MediaError::UnsupportedFormat)
        ));
    }
    // RIFF that is not WebP (a WAV header).
    assert!(matches!(
        sniff(b"RIFF\x24\x00\x00\x00WAVEfmt "),
        Err(MediaError::UnsupportedFormat)
    ));
}

#[test]
fn magic_followed_by_garbage_is_corrupt_or_truncated() {
    // Garbage has no reliable length fields: whether it reads as broken or as cut off depends
    // on the bytes, but it is refused either way (422 at the api).
    let refused = |bytes: &[u8], what: &str| match decode(bytes, &limits()) {
        Err(MediaError::Corrupt(_) | MediaError::Truncated(_)) => {}
        other => panic!("{what}: expected Corrupt or Truncated, got {other:?}"),
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    for len in [0usize, 1, 10, 1000, 100_000] {
        let mut bytes = vec![0xFF, 0xD8, 0xFF];
        bytes.extend((0..len).map(|_| rng.random::<u8>()));
        refused(&bytes, &format!("JPEG magic + {len} random bytes"));
    }
    // PNG and WebP magic followed by garbage.
    let mut png_garbage = b"\x89PNG\r\n\x1a\n".to_vec();
    png_garbage.extend_from_slice(&[0x55; 64]);
    refused(&png_garbage, "PNG magic + garbage");
    // A RIFF length that fits the file: the garbage is judged by the decoder.
    let mut webp_garbage = b"RIFF\x40\x00\x00\x00WEBP".to_vec();
    webp_garbage.extend_from_slice(&[0x55; 64]);
    assert!(matches!(
        decode(&webp_garbage, &limits()),
        Err(MediaError::Corrupt(_))
    ));
    // A JPEG whose segments are followed by a stray byte instead of a marker is broken.
    let j = jpeg(&gradient(16, 16));
    let mut stray = j[..2].to_vec();
    stray.extend_from_slice(&app_segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
    stray.push(0x42);
    stray.extend_from_slice(&j[2..]);
    assert!(matches!(
        check_upload(&stray, &limits()),
        Err(MediaError::Corrupt(_))
    ));
}

#[test]
fn huge_metadata_is_bounded_by_the_byte_limit() {
    let img = gradient(32, 32);
    // ~13 MB of APP1 segments (EXIF-like junk) in front of a tiny JPEG: under the byte limit,
    // so it is accepted, decoded at its real size, and quickly.
    let junk = vec![0x42u8; 65_000];
    let segments: Vec<Vec<u8>> = (0..200).map(|_| app_segment(0xE1, &junk)).collect();
    let big = with_segments_after_soi(&jpeg(&img), &segments);
    assert!(big.len() > 12_000_000 && big.len() < limits().max_bytes);
    let start = Instant::now();
    assert_eq!(decode(&big, &limits()).unwrap().dimensions(), (32, 32));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );

    // The same with 20 MB is refused before any parsing.
    let segments: Vec<Vec<u8>> = (0..310).map(|_| app_segment(0xE1, &junk)).collect();
    let bigger = with_segments_after_soi(&jpeg(&img), &segments);
    assert!(matches!(
        check_upload(&bigger, &limits()),
        Err(MediaError::TooLarge { .. })
    ));

    // A PNG with a 10 MB text chunk before the image data is still judged by its header.
    let text = png_chunk(b"tEXt", &[b'a'; 10_000_000]);
    let bytes = png_claiming(30_000, 30_000, &[text]);
    assert!(matches!(
        check_upload(&bytes, &limits()),
        Err(MediaError::TooManyPixels { .. })
    ));
}

#[test]
fn exif_orientation_6_rotates_clockwise() {
    // 32x16: left half red, right half blue. Orientation 6 = "rotate 90° clockwise to display".
    let img = RgbImage::from_fn(32, 16, |x, _| {
        if x < 16 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    });
    let bytes = with_segments_after_soi(&jpeg(&img), &[exif_app1_orientation(6)]);
    let info = check_upload(&bytes, &limits()).unwrap();
    assert_eq!(
        (info.width, info.height),
        (32, 16),
        "the check reports the stored size"
    );

    let out = decode(&bytes, &limits()).unwrap();
    assert_eq!(out.dimensions(), (16, 32));
    // The left (red) half ends up on top.
    let top = out.get_pixel(8, 4);
    let bottom = out.get_pixel(8, 27);
    assert!(top[0] > 200 && top[2] < 60, "top {top:?}");
    assert!(bottom[2] > 200 && bottom[0] < 60, "bottom {bottom:?}");

    // Orientation 1 leaves it as stored; a broken EXIF block is ignored, not fatal.
    let upright = with_segments_after_soi(&jpeg(&img), &[exif_app1_orientation(1)]);
    assert_eq!(decode(&upright, &limits()).unwrap().dimensions(), (32, 16));
    let broken =
        with_segments_after_soi(&jpeg(&img), &[app_segment(0xE1, b"Exif\0\0MM\0\x2A\xff")]);
    assert_eq!(decode(&broken, &limits()).unwrap().dimensions(), (32, 16));
}
