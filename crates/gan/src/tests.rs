use super::*;

/// A 64×64 picture with structure: stripes and a disc.
fn picture() -> RgbImage {
    RgbImage::from_fn(64, 64, |x, y| {
        let disc = (x as i32 - 40).pow(2) + (y as i32 - 24).pow(2) < 120;
        if disc {
            image::Rgb([230, 200, 40])
        } else if (x / 6 + y / 9) % 2 == 0 {
            image::Rgb([30, 90, 160])
        } else {
            image::Rgb([200, 220, 240])
        }
    })
}

#[test]
fn ssim_and_diversity_tell_copies_from_new_images() {
    let a = picture();
    assert!((ssim(&a, &a) - 1.0).abs() < 1e-9);
    let flipped = imageops::flip_horizontal(&a);
    assert!(ssim(&a, &flipped) < 0.9);
    assert!(diversity(&[a.clone(), a.clone(), a.clone()]).abs() < 1e-9);
    assert!(diversity(&[a.clone(), flipped]) > 0.1);
}

#[test]
fn the_pyramid_goes_from_16_px_to_the_size() {
    let cfg = TrainConfig::new(64, 1.0, 1);
    assert_eq!(cfg.sides(), [16, 25, 40, 64]);
    assert!(TrainConfig::new(8, 1.0, 1).problem().is_some());
}

#[test]
fn a_short_training_makes_new_images_of_the_size_the_same_for_a_seed() {
    let mut cfg = TrainConfig::new(32, 3.0, 7);
    cfg.scales = 2;
    cfg.iterations = 30;
    cfg.channels = 16;
    let mut seen = Vec::new();
    let trained = train(&picture(), &cfg, |p| {
        seen.push(p);
        ControlFlow::Continue(())
    })
    .unwrap();
    assert_eq!(seen.len(), 4, "start and end of both scales: {seen:?}");
    assert_eq!(trained.report.len(), 2);
    assert!(trained.report.iter().all(|r| r.iterations >= 10));
    let one = trained.sample(5, 0).unwrap();
    assert_eq!(one.image.dimensions(), (32, 32));
    assert_eq!(
        one.image,
        trained.sample(5, 0).unwrap().image,
        "same seed, same image"
    );
    assert_ne!(
        one.image,
        trained.sample(5, 1).unwrap().image,
        "another index, another image"
    );
    let stopped = train(&picture(), &cfg, |p| match p {
        Progress::Scale { index: 1, .. } => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    });
    assert!(matches!(stopped, Err(GanError::Stopped(1))));
}
