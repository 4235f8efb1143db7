#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

/// A 96 × 72 test card: gradients, a bright square and a dark bar, so that every transform
/// visibly changes something.
fn card() -> RgbImage {
    RgbImage::from_fn(96, 72, |x, y| {
        if (20..44).contains(&x) && (16..40).contains(&y) {
            image::Rgb([250, 230, 40])
        } else if (60..90).contains(&x) && (50..58).contains(&y) {
            image::Rgb([20, 30, 160])
        } else {
            image::Rgb([(x * 2) as u8, (y * 3) as u8, ((x + y) % 256) as u8])
        }
    })
}

fn only(transform: Transform) -> Pipeline {
    Pipeline {
        size: 64,
        steps: vec![Step { p: 1.0, transform }],
    }
}

fn every_transform() -> Vec<Transform> {
    Pipeline::standard(64)
        .steps
        .into_iter()
        .map(|s| s.transform)
        .chain([Transform::VerticalFlip])
        .collect()
}

#[test]
fn the_same_seed_and_index_give_the_same_image_and_parameters() {
    let pipeline = Pipeline::standard(64);
    let source = card();
    let (a, applied_a) = pipeline.make(&source, 42, 7).unwrap();
    let (b, applied_b) = pipeline.make(&source, 42, 7).unwrap();
    assert_eq!(a.as_raw(), b.as_raw());
    assert_eq!(applied_a, applied_b);
    assert_eq!(a.dimensions(), (64, 64));
    // Another index or another seed gives another image.
    let (c, _) = pipeline.make(&source, 42, 8).unwrap();
    let (d, _) = pipeline.make(&source, 43, 7).unwrap();
    assert_ne!(a.as_raw(), c.as_raw());
    assert_ne!(a.as_raw(), d.as_raw());
}

#[test]
fn a_set_is_varied_and_reports_what_each_image_went_through() {
    let pipeline = Pipeline::standard(32);
    let source = card();
    let mut distinct = std::collections::HashSet::new();
    let mut names = std::collections::HashSet::new();
    for i in 0..40 {
        let (image, applied) = pipeline.make(&source, 1, i).unwrap();
        distinct.insert(image.into_raw());
        assert!(applied.iter().any(|a| a.name == "random_resized_crop"));
        names.extend(applied.iter().map(|a| a.name));
    }
    assert_eq!(distinct.len(), 40);
    // With these probabilities, 40 images use every transform of the standard pipeline.
    assert_eq!(names.len(), pipeline.steps.len(), "{names:?}");
}

#[test]
fn every_transform_keeps_the_size_and_changes_the_image() {
    let source = card();
    let plain = only(Transform::HorizontalFlip);
    let resized = geometry::resize(&source, 64).unwrap();
    for transform in every_transform() {
        let name = transform.name();
        let (out, applied) = only(transform).make(&source, 5, 0).unwrap();
        assert_eq!(out.dimensions(), (64, 64), "{name}");
        assert_eq!(applied.len(), 1, "{name}");
        assert_eq!(applied[0].name, name);
        assert_ne!(out.as_raw(), resized.as_raw(), "{name} changed nothing");
    }
    // A flip twice is the resized image again, exactly.
    let (once, _) = plain.make(&source, 0, 0).unwrap();
    assert_eq!(
        geometry::flip(&once, true).unwrap().as_raw(),
        resized.as_raw()
    );
}

#[test]
fn a_step_with_p_zero_never_runs_and_p_one_always_does() {
    let source = card();
    let mut pipeline = only(Transform::VerticalFlip);
    pipeline.steps[0].p = 0.0;
    let (out, applied) = pipeline.make(&source, 3, 3).unwrap();
    assert!(applied.is_empty());
    assert_eq!(
        out.as_raw(),
        geometry::resize(&source, 64).unwrap().as_raw()
    );
}

#[test]
fn colour_jitter_at_its_neutral_point_is_the_identity() {
    let image = card();
    let neutral = colour::Jitter {
        brightness: 1.0,
        contrast: 1.0,
        saturation: 1.0,
        hue: 0.0,
    };
    let out = colour::jitter(&image, &neutral);
    let worst = image
        .as_raw()
        .iter()
        .zip(out.as_raw())
        .map(|(a, b)| a.abs_diff(*b))
        .max()
        .unwrap();
    // The YIQ round trip's coefficients are rounded to three places.
    assert!(worst <= 1, "off by {worst}");
    let grey = colour::jitter(
        &image,
        &colour::Jitter {
            saturation: 0.0,
            ..neutral
        },
    );
    assert!(grey
        .pixels()
        .all(|p| p[0].abs_diff(p[1]) <= 1 && p[1].abs_diff(p[2]) <= 1));
}

#[test]
fn cutout_boxes_are_grey_and_jpeg_keeps_the_picture() {
    let image = geometry::resize(&card(), 64).unwrap();
    let cut = pixels::cutout(&image, &[[4, 4, 10, 10]]);
    assert!((4..14).all(|x| (4..14).all(|y| cut.get_pixel(x, y).0 == [128; 3])));
    assert_eq!(cut.get_pixel(20, 20), image.get_pixel(20, 20));
    let low = pixels::jpeg(&image, 20).unwrap();
    let mean_error = image
        .as_raw()
        .iter()
        .zip(low.as_raw())
        .map(|(a, b)| f64::from(a.abs_diff(*b)))
        .sum::<f64>()
        / image.as_raw().len() as f64;
    assert!(mean_error > 0.5 && mean_error < 20.0, "{mean_error}");
}

#[test]
fn bad_settings_are_refused_with_the_reason() {
    let source = card();
    let mut pipeline = Pipeline::standard(8);
    assert!(pipeline
        .make(&source, 0, 0)
        .unwrap_err()
        .to_string()
        .contains("size"));
    pipeline.size = 64;
    pipeline.steps[0].p = 1.5;
    assert!(pipeline.problem().unwrap().contains("p must lie"));
    let blur = only(Transform::GaussianBlur {
        sigma: Range(3.0, 1.0),
    });
    assert!(blur.problem().unwrap().starts_with("gaussian_blur"));
    let tiny = RgbImage::new(1, 1);
    assert!(Pipeline::standard(64).make(&tiny, 0, 0).is_err());
}

#[test]
fn pipelines_read_from_json_settings() {
    let text = r#"{"size": 128, "steps": [
        {"p": 1, "name": "random_resized_crop", "scale": [0.5, 1], "ratio": [0.75, 1.33]},
        {"p": 0.5, "name": "horizontal_flip"},
        {"p": 0.2, "name": "jpeg_quality", "quality": [40, 90]}]}"#;
    let pipeline: Pipeline = serde_json::from_str(text).unwrap();
    assert_eq!(pipeline.problem(), None);
    assert_eq!(pipeline.steps[2].transform.name(), "jpeg_quality");
    let round_trip: Pipeline =
        serde_json::from_value(serde_json::to_value(&pipeline).unwrap()).unwrap();
    assert_eq!(round_trip, pipeline);
}
