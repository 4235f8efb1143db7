#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The astronaut (one smiling frontal face) and images without faces.

mod common;

use image::{Rgb, RgbImage};
use moji_catalog::{Expression, FaceBox};
use moji_vision::{
    analyze, classify_expression, classify_grey64, detect_faces, with_thread_models, Models,
};

#[test]
fn astronaut_has_one_happy_face() {
    let mut models = common::models();
    let img = common::image("astronaut.png");
    let faces = analyze(&mut models, &img).unwrap();
    eprintln!("astronaut: {faces:#?}");
    assert_eq!(faces.len(), 1, "{faces:?}");
    let face = &faces[0];
    assert_eq!(face.expression, Expression::Happy);
    assert!(face.confidence >= 0.9, "happy {}", face.confidence);
    assert_eq!(face.scores[Expression::Happy.index()], face.confidence);
    let sum: f32 = face.scores.iter().sum();
    assert!((sum - 1.0).abs() < 1e-3, "softmax sums to {sum}");
    // Near the box OpenCV's Python binding finds with fer's parameters: [177, 66, 95, 95].
    let b = face.bbox;
    assert!(
        b.x.abs_diff(177) < 20 && b.y.abs_diff(66) < 20 && b.width.abs_diff(95) < 25,
        "{b:?}"
    );
    let f = face.features;
    assert!(f.eyes_found, "{f:?}");
    assert!((0.25..0.6).contains(&f.eye_spacing), "{f:?}");
    assert!((0.1..0.35).contains(&f.eye_size), "{f:?}");
    assert!((0.2..0.5).contains(&f.eye_height), "{f:?}");
    assert!(f.eye_tilt_deg.abs() < 20.0, "{f:?}");
    assert!((0.05..0.95).contains(&f.brightness), "{f:?}");
    assert!((0.01..0.5).contains(&f.edge_density), "{f:?}");
    assert_eq!(f.expression, face.scores);
}

#[test]
fn astronaut_matches_the_python_reference() {
    let mut models = common::models();
    let reference = common::reference();
    let img = common::image("astronaut.png");
    let rb: Vec<u32> = reference["astronaut"]["face_box"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u32)
        .collect();
    let face = FaceBox {
        x: rb[0],
        y: rb[1],
        width: rb[2],
        height: rb[3],
    };
    let ours = classify_expression(&mut models, &img, face).unwrap();
    let theirs: Vec<f32> = reference["astronaut"]["onnx_probs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap() as f32)
        .collect();
    for (a, b) in ours.iter().zip(&theirs) {
        assert!((a - b).abs() < 1e-3, "ours {ours:?} vs cv2 {theirs:?}");
    }
    // The ready-made crop through the crop-free path.
    let crop: [u8; 4096] = std::fs::read(common::model_file("astronaut_face_64.bin"))
        .unwrap()
        .try_into()
        .unwrap();
    let direct = classify_grey64(&mut models, &crop).unwrap();
    assert!(direct[Expression::Happy.index()] >= 0.99, "{direct:?}");
}

#[test]
fn images_without_faces_have_none() {
    let mut models = common::models();
    let gradient = RgbImage::from_fn(800, 600, |x, y| Rgb([(x / 4) as u8, (y / 3) as u8, 128]));
    assert_eq!(detect_faces(&mut models, &gradient).unwrap(), vec![]);
    let blank = RgbImage::from_pixel(640, 480, Rgb([200, 200, 200]));
    assert_eq!(analyze(&mut models, &blank).unwrap(), vec![]);
    // Deterministic value noise: texture but no face.
    let mut s = 0x2545_f491_u32;
    let texture = RgbImage::from_fn(640, 480, |_, _| {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        let v = (s % 256) as u8;
        Rgb([v, v / 2 + 64, 255 - v])
    });
    assert_eq!(detect_faces(&mut models, &texture).unwrap(), vec![]);
    // skimage's camera man is in profile: the frontal cascade (and Python's cv2) finds nothing.
    let camera = common::image("camera.png");
    assert_eq!(detect_faces(&mut models, &camera).unwrap(), vec![]);
}

#[test]
fn tiny_and_odd_images_do_not_fail() {
    let mut models = common::models();
    for (w, h) in [(1, 1), (10, 3), (31, 31), (3000, 20)] {
        let img = RgbImage::from_pixel(w, h, Rgb([10, 20, 30]));
        assert_eq!(detect_faces(&mut models, &img).unwrap(), vec![], "{w}x{h}");
    }
    let img = RgbImage::from_pixel(100, 100, Rgb([10, 20, 30]));
    // A box partly outside the photo is cropped against fer's padding, not rejected.
    let scores = classify_expression(
        &mut models,
        &img,
        FaceBox {
            x: 80,
            y: 80,
            width: 50,
            height: 40,
        },
    )
    .unwrap();
    assert!((scores.iter().sum::<f32>() - 1.0).abs() < 1e-3);
    // A box entirely outside is an error, not a panic.
    assert!(classify_expression(
        &mut models,
        &img,
        FaceBox {
            x: 5000,
            y: 5000,
            width: 50,
            height: 50
        }
    )
    .is_err());
    let f = moji_vision::measure_features(
        &mut models,
        &img,
        FaceBox {
            x: 5000,
            y: 0,
            width: 50,
            height: 50,
        },
        scores,
    );
    assert!(!f.eyes_found);
    assert_eq!(f.eye_spacing, moji_catalog::FaceFeatures::MEAN_EYE_SPACING);
}

#[test]
fn upscaled_astronaut_still_has_one_face() {
    let mut models = common::models();
    let img = common::image("astronaut.png");
    for side in [800, 1000, 1500] {
        let big =
            image::imageops::resize(&img, side, side, image::imageops::FilterType::CatmullRom);
        let faces = detect_faces(&mut models, &big).unwrap();
        assert_eq!(faces.len(), 1, "{side}px: {faces:?}");
    }
}

#[test]
fn two_astronauts_side_by_side_are_both_happy_left_to_right() {
    let mut models = common::models();
    let img = common::image("astronaut.png");
    let mut canvas = RgbImage::from_pixel(1100, 600, Rgb([90, 90, 90]));
    image::imageops::overlay(&mut canvas, &img, 20, 40);
    let small = image::imageops::resize(&img, 300, 300, image::imageops::FilterType::Triangle);
    image::imageops::overlay(&mut canvas, &small, 700, 100);
    let faces = analyze(&mut models, &canvas).unwrap();
    assert_eq!(faces.len(), 2, "{faces:?}");
    assert!(faces[0].bbox.x < faces[1].bbox.x);
    assert!(
        faces[0].bbox.width > faces[1].bbox.width,
        "the big copy is on the left"
    );
    for f in &faces {
        assert_eq!(f.expression, Expression::Happy, "{f:?}");
    }
}

#[test]
fn missing_model_files_say_how_to_get_them() {
    let err = Models::load(
        std::path::Path::new("/nonexistent/models"),
        &moji_vision::cascades_dir_from_env(),
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("run scripts/models.sh"), "{err}");
    let err = Models::load(
        &common::models_dir(),
        std::path::Path::new("/nonexistent/cascades"),
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("MOJI_CASCADES_DIR"), "{err}");
}

#[test]
fn thread_cache_loads_once_per_thread() {
    common::model_file(moji_vision::EXPRESSION_MODEL_FILE);
    let img = common::image("astronaut.png");
    let dir = common::models_dir();
    let cascades = moji_vision::cascades_dir_from_env();
    let first = with_thread_models(&dir, &cascades, |m| analyze(m, &img).unwrap()).unwrap();
    let t = std::time::Instant::now();
    let second = with_thread_models(&dir, &cascades, |m| analyze(m, &img).unwrap()).unwrap();
    assert_eq!(first, second);
    eprintln!("cached call: {:?}", t.elapsed());
    // Another thread gets its own instance.
    let other = std::thread::spawn(move || {
        with_thread_models(&dir, &cascades, |m| detect_faces(m, &img).unwrap().len()).unwrap()
    })
    .join()
    .unwrap();
    assert_eq!(other, 1);
}
