#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Cursor, Read};

use zip::ZipArchive;

use super::*;

fn source() -> RgbImage {
    RgbImage::from_fn(80, 60, |x, y| {
        image::Rgb([(x * 3) as u8, (y * 4) as u8, ((x * y) % 251) as u8])
    })
}

fn write(quantity: u32, seed: u64) -> (Vec<u8>, Written) {
    let mut out = Vec::new();
    let written = write_augmented(
        &mut out,
        &source(),
        &Pipeline::standard(32),
        seed,
        quantity,
        |_| ControlFlow::Continue(()),
    )
    .unwrap();
    (out, written)
}

#[test]
fn the_zip_holds_stored_pngs_a_manifest_and_a_preview() {
    let (bytes, written) = write(20, 9);
    assert_eq!(written.zip_bytes, bytes.len() as u64);
    let mut zip = ZipArchive::new(Cursor::new(bytes)).unwrap();
    assert_eq!(zip.len(), 22);
    for i in 0..20 {
        let mut entry = zip.by_name(&format!("images/{i:05}.png")).unwrap();
        assert_eq!(entry.compression(), CompressionMethod::Stored);
        let mut png = Vec::new();
        entry.read_to_end(&mut png).unwrap();
        let image = image::load_from_memory(&png).unwrap();
        assert_eq!((image.width(), image.height()), (32, 32));
    }
    let mut manifest = String::new();
    zip.by_name("manifest.json")
        .unwrap()
        .read_to_string(&mut manifest)
        .unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap();
    assert_eq!(manifest["method"], "augment");
    assert_eq!(manifest["seed"], 9);
    assert_eq!(manifest["images"].as_array().unwrap().len(), 20);
    assert_eq!(manifest["images"][3]["file"], "images/00003.png");
    assert_eq!(
        manifest["images"][3]["transforms"][0]["name"],
        "random_resized_crop"
    );
    assert_eq!(manifest["settings"]["size"], 32);
    let mut preview = Vec::new();
    zip.by_name("preview.png")
        .unwrap()
        .read_to_end(&mut preview)
        .unwrap();
    assert_eq!(preview, written.preview_png);
    let sheet = image::load_from_memory(&preview).unwrap();
    assert_eq!((sheet.width(), sheet.height()), (128, 128));
}

#[test]
fn the_same_seed_writes_the_same_zip() {
    assert_eq!(write(6, 4).0, write(6, 4).0);
    assert_ne!(write(6, 4).0, write(6, 5).0);
}

#[test]
fn the_preview_shows_the_first_images_and_a_short_set_leaves_cells_empty() {
    let (bytes, written) = write(3, 1);
    let sheet = image::load_from_memory(&written.preview_png)
        .unwrap()
        .into_rgb8();
    let mut zip = ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut png = Vec::new();
    zip.by_name("images/00002.png")
        .unwrap()
        .read_to_end(&mut png)
        .unwrap();
    let third = image::load_from_memory(&png).unwrap().into_rgb8();
    let cell = imageops::crop_imm(&sheet, 64, 0, 32, 32).to_image();
    assert_eq!(cell.as_raw(), third.as_raw());
    assert!(imageops::crop_imm(&sheet, 0, 32, 32, 32)
        .to_image()
        .pixels()
        .all(|p| p.0 == [0, 0, 0]));
}

#[test]
fn progress_is_reported_and_can_stop_the_set() {
    let mut seen = Vec::new();
    let err = write_augmented(
        std::io::sink(),
        &source(),
        &Pipeline::standard(16),
        0,
        10,
        |done| {
            seen.push(done);
            if done == 4 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        },
    )
    .unwrap_err();
    assert!(matches!(err, DatasetError::Cancelled(4)), "{err}");
    assert_eq!(seen, [1, 2, 3, 4]);
}

#[test]
fn quantities_and_pipelines_are_checked_first() {
    let go = |_| ControlFlow::Continue(());
    let pipeline = Pipeline::standard(16);
    for quantity in [0, 2001] {
        let err =
            write_augmented(std::io::sink(), &source(), &pipeline, 0, quantity, go).unwrap_err();
        assert!(err.to_string().contains("quantity"), "{err}");
    }
    let err =
        write_augmented(std::io::sink(), &source(), &Pipeline::standard(4), 0, 1, go).unwrap_err();
    assert!(err.to_string().contains("size"), "{err}");
}
