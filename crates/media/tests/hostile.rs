#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Hostile and edge-case uploads: every one must end in a typed error, quickly, without a panic
//! and without a pixel buffer sized by what the header claims.

mod common;

use std::time::{Duration, Instant};

use common::*;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::{ExtendedColorType, ImageEncoder, Rgb, RgbImage};
use moji_media::{decode, probe, sniff, Limits, MediaError, MediaFormat};
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
    let info = probe(&j, &limits()).unwrap();
    assert_eq!(
        (info.format, info.width, info.height),
        (MediaFormat::Jpeg, 40, 30)
    );
    assert_eq!(decode(&j, &limits()).unwrap().dimensions(), (40, 30));

    let p = png(&img);
    assert_eq!(probe(&p, &limits()).unwrap().format, MediaFormat::Png);
    assert_eq!(decode(&p, &limits()).unwrap(), img, "PNG is lossless");

    let mut w = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut w)
        .write_image(img.as_raw(), 40, 30, ExtendedColorType::Rgb8)
        .unwrap();
    let info = probe(&w, &limits()).unwrap();
    assert_eq!(
        (info.format, info.width, info.height),
        (MediaFormat::Webp, 40, 30)
    );
    assert_eq!(decode(&w, &limits()).unwrap(), img, "lossless WebP");
    assert_eq!(info.format.mime(), "image/webp");
}

#[test]
fn truncated_jpeg_is_corrupt() {
    let j = jpeg(&gradient(256, 256));
    let half = &j[..j.len() / 2];
    assert_eq!(sniff(half).unwrap(), MediaFormat::Jpeg);
    match decode(half, &limits()) {
        Err(MediaError::Corrupt(_)) => {}
        other => panic!("expected Corrupt, got {other:?}"),
    }
    // Every cut point, including inside the headers, ends in an error rather than a panic.
    for cut in (3..j.len()).step_by(97) {
        assert!(decode(&j[..cut], &limits()).is_err(), "cut at {cut}");
    }
}

#[test]
fn truncated_png_is_corrupt() {
    let p = png(&gradient(128, 128));
    for cut in [p.len() / 2, p.len() - 13, 40, 20, 9] {
        match decode(&p[..cut], &limits()) {
            Err(MediaError::Corrupt(_)) => {}
            other => panic!("cut at {cut}: expected Corrupt, got {other:?}"),
        }
    }
}

#[test]
fn png_claiming_30000_square_is_refused_from_the_header() {
    let bytes = png_claiming(30_000, 30_000, &[]);
    assert!(bytes.len() < 100);
    let rss_before = peak_rss_kb();
    let start = Instant::now();
    match probe(&bytes, &limits()) {
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
        probe(&bytes, &limits()),
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
    let tight = Limits {
        max_pixels: 19_999,
        ..Limits::default()
    };
    assert!(matches!(
        decode(&png(&img), &tight),
        Err(MediaError::TooManyPixels {
            width: 200,
            height: 100,
            limit: 19_999
        })
    ));
    let exact = Limits {
        max_pixels: 20_000,
        ..Limits::default()
    };
    assert!(decode(&png(&img), &exact).is_ok());
}

#[test]
fn oversized_upload_is_too_large() {
    let tight = Limits {
        max_bytes: 1000,
        ..Limits::default()
    };
    let p = png(&gradient(64, 64));
    assert!(p.len() > 1000);
    assert!(matches!(
        probe(&p, &tight),
        Err(MediaError::TooLarge { limit: 1000, .. })
    ));
}

#[test]
fn zero_bytes_text_and_random_bytes_are_unsupported() {
    assert!(matches!(
        probe(&[], &limits()),
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
fn jpeg_magic_followed_by_garbage_is_corrupt() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    for len in [0usize, 1, 10, 1000, 100_000] {
        let mut bytes = vec![0xFF, 0xD8, 0xFF];
        bytes.extend((0..len).map(|_| rng.random::<u8>()));
        match decode(&bytes, &limits()) {
            Err(MediaError::Corrupt(_)) => {}
            other => panic!("len {len}: expected Corrupt, got {other:?}"),
        }
    }
    // PNG and WebP magic followed by garbage.
    let mut png_garbage = b"\x89PNG\r\n\x1a\n".to_vec();
    png_garbage.extend_from_slice(&[0x55; 64]);
    assert!(matches!(
        decode(&png_garbage, &limits()),
        Err(MediaError::Corrupt(_))
    ));
    let mut webp_garbage = b"RIFF\x40\x00\x00\x00WEBP".to_vec();
    webp_garbage.extend_from_slice(&[0x55; 64]);
    assert!(matches!(
        decode(&webp_garbage, &limits()),
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
        probe(&bigger, &limits()),
        Err(MediaError::TooLarge { .. })
    ));

    // A PNG with a 10 MB text chunk before the image data still probes from its header.
    let text = png_chunk(b"tEXt", &[b'a'; 10_000_000]);
    let bytes = png_claiming(30_000, 30_000, &[text]);
    assert!(matches!(
        probe(&bytes, &limits()),
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
    let info = probe(&bytes, &limits()).unwrap();
    assert_eq!(
        (info.width, info.height),
        (32, 16),
        "probe reports stored size"
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
