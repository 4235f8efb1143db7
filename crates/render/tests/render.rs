#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Rendering, compositing and encoding through the public API.

use image::{Rgb, RgbImage, RgbaImage};
use moji_render::{
    compose, compose_with, encode_png, encode_png_rgba, render_emoji, svg_source, template_ids,
    thumbnail_jpeg, ComposeOptions, Expression, FaceBox, RenderError,
};

fn photo(w: u32, h: u32) -> RgbImage {
    // A smooth gradient: every pixel is distinct enough that any paste shows.
    RgbImage::from_fn(w, h, |x, y| {
        Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 60])
    })
}

fn same(a: &RgbImage, b: &RgbImage, x: u32, y: u32) -> bool {
    a.get_pixel(x, y) == b.get_pixel(x, y)
}

#[test]
fn templates_match_the_catalogue() {
    let catalogue: Vec<&str> = moji_catalog::templates()
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    assert_eq!(template_ids().collect::<Vec<_>>(), catalogue);
}

#[test]
fn svg_sources_are_self_contained_art() {
    for t in template_ids() {
        for e in Expression::ALL {
            let svg = svg_source(t, e).unwrap();
            assert!(svg.contains(r#"viewBox="0 0 512 512""#), "{t}/{e:?}");
            // No text (no fonts are bundled) and no external or raster references.
            for banned in ["<text", "<image", "href=\"http", "xlink:href"] {
                assert!(!svg.contains(banned), "{t}/{e:?} contains {banned}");
            }
        }
    }
    assert!(svg_source("nope", Expression::Happy).is_none());
}

#[test]
fn every_emoji_renders_with_transparent_corners() {
    for t in template_ids() {
        for e in Expression::ALL {
            let img = render_emoji(t, e, 128).unwrap();
            assert_eq!(img.dimensions(), (128, 128));
            let opaque = img.pixels().filter(|p| p.0[3] == 255).count();
            assert!(
                opaque > 128 * 128 / 3,
                "{t}/{e:?}: only {opaque} opaque pixels"
            );
            for (x, y) in [(0, 0), (127, 0), (0, 127), (127, 127), (1, 1), (126, 126)] {
                assert_eq!(img.get_pixel(x, y).0[3], 0, "{t}/{e:?} corner ({x},{y})");
            }
        }
    }
}

#[test]
fn expressions_are_visibly_different() {
    for t in template_ids() {
        let imgs: Vec<RgbaImage> = Expression::ALL
            .iter()
            .map(|&e| render_emoji(t, e, 96).unwrap())
            .collect();
        for i in 0..imgs.len() {
            for j in i + 1..imgs.len() {
                let changed = imgs[i]
                    .pixels()
                    .zip(imgs[j].pixels())
                    .filter(|(a, b)| {
                        a.0.iter()
                            .zip(b.0)
                            .map(|(x, y)| x.abs_diff(y) as u32)
                            .sum::<u32>()
                            > 60
                    })
                    .count();
                // At least 3% of the canvas: brows, eyes or mouth clearly differ.
                assert!(
                    changed > 96 * 96 * 3 / 100,
                    "{t}: {:?} vs {:?} differ in only {changed} pixels",
                    Expression::ALL[i],
                    Expression::ALL[j]
                );
            }
        }
    }
}

#[test]
fn render_is_cached_and_deterministic() {
    let a = render_emoji("cat", Expression::Sad, 64).unwrap();
    let b = render_emoji("cat", Expression::Sad, 64).unwrap();
    assert_eq!(a, b);
    // Above the cache limit too.
    assert_eq!(
        render_emoji("bear", Expression::Fear, 600).unwrap(),
        render_emoji("bear", Expression::Fear, 600).unwrap()
    );
}

#[test]
fn bad_arguments_are_errors() {
    assert!(matches!(
        render_emoji("nope", Expression::Happy, 64),
        Err(RenderError::UnknownTemplate(_))
    ));
    assert!(matches!(
        render_emoji("classic", Expression::Happy, 0),
        Err(RenderError::InvalidSize(0))
    ));
    assert!(matches!(
        render_emoji("classic", Expression::Happy, 100_000),
        Err(RenderError::InvalidSize(_))
    ));
    assert!(matches!(
        compose(&photo(10, 10), &[], "nope"),
        Err(RenderError::UnknownTemplate(_))
    ));
    assert!(matches!(
        compose(&RgbImage::new(0, 5), &[], "classic"),
        Err(RenderError::EmptyImage(..))
    ));
}

#[test]
fn compose_changes_the_box_and_not_far_outside() {
    let p = photo(400, 300);
    let face = FaceBox {
        x: 150,
        y: 100,
        width: 100,
        height: 100,
    };
    for t in template_ids() {
        let out = compose(&p, &[(face, Expression::Happy)], t).unwrap();
        assert_eq!(out.dimensions(), p.dimensions());
        // Most of the box is covered.
        let mut changed = 0;
        for y in face.y..face.y + face.height {
            for x in face.x..face.x + face.width {
                changed += usize::from(!same(&p, &out, x, y));
            }
        }
        assert!(
            changed > 9_000,
            "{t}: only {changed} of 10000 box pixels changed"
        );
        // Far outside (beyond the whole emoji canvas, ears included) nothing moved.
        for (x, y) in [
            (10, 10),
            (390, 290),
            (10, 290),
            (390, 10),
            (60, 150),
            (340, 150),
            (200, 290),
        ] {
            assert!(same(&p, &out, x, y), "{t}: pixel ({x},{y}) changed");
        }
        assert_eq!(out.dimensions(), p.dimensions());
    }
}

#[test]
fn no_faces_returns_the_photo() {
    let p = photo(50, 40);
    let out = compose(&p, &[], "classic").unwrap();
    for y in 0..40 {
        for x in 0..50 {
            assert!(same(&p, &out, x, y));
        }
    }
    // A degenerate box is skipped, not an error.
    let empty = FaceBox {
        x: 5,
        y: 5,
        width: 0,
        height: 10,
    };
    let out = compose(&p, &[(empty, Expression::Sad)], "classic").unwrap();
    assert!(same(&p, &out, 5, 5));
}

#[test]
fn rim_is_feathered() {
    // Black photo, classic emoji (yellow with an orange rim): along the row through the face
    // centre the change from photo to emoji must take several pixels, not one hard step.
    let p = RgbImage::new(400, 400);
    let face = FaceBox {
        x: 100,
        y: 100,
        width: 200,
        height: 200,
    };
    let soft = compose(&p, &[(face, Expression::Neutral)], "classic").unwrap();
    let hard = compose_with(
        &p,
        &[(face, Expression::Neutral)],
        "classic",
        &ComposeOptions {
            feather: 0.0,
            ..ComposeOptions::default()
        },
    )
    .unwrap();
    let ramp = |img: &RgbImage| {
        (0..200)
            .filter(|&x| (8..200).contains(&img.get_pixel(x, 200).0[1]))
            .count()
    };
    let (s, h) = (ramp(&soft), ramp(&hard));
    // The unfeathered edge is the anti-aliased orange outline (a few px); feathering widens it.
    assert!(s >= h + 4, "feathered ramp {s} px vs crisp {h} px");
    // And the feather does not eat into the face: the centre is fully emoji.
    assert_eq!(soft.get_pixel(200, 200), hard.get_pixel(200, 200));
}

#[test]
fn faces_at_the_edge_are_clipped() {
    let p = photo(400, 300);
    let cases = [
        FaceBox {
            x: 350,
            y: 250,
            width: 100,
            height: 100,
        },
        FaceBox {
            x: 0,
            y: 0,
            width: 60,
            height: 80,
        },
        FaceBox {
            x: 399,
            y: 299,
            width: 1,
            height: 1,
        },
        FaceBox {
            x: 390,
            y: 0,
            width: 200,
            height: 20,
        },
    ];
    for t in template_ids() {
        for face in cases {
            let out = compose(&p, &[(face, Expression::Angry)], t).unwrap();
            assert_eq!(out.dimensions(), (400, 300));
        }
    }
    let out = compose(&p, &[(cases[0], Expression::Angry)], "classic").unwrap();
    assert!(
        !same(&p, &out, 399, 299),
        "the visible part of an edge face is drawn"
    );
    // Entirely outside: nothing changes, nothing fails.
    let away = FaceBox {
        x: 10_000,
        y: 10_000,
        width: 50,
        height: 50,
    };
    let out = compose(&p, &[(away, Expression::Happy)], "bear").unwrap();
    assert!(out.enumerate_pixels().all(|(x, y, _)| same(&p, &out, x, y)));
}

#[test]
fn tiny_and_huge_boxes() {
    let p = photo(400, 300);
    let tiny = FaceBox {
        x: 200,
        y: 150,
        width: 32,
        height: 32,
    };
    let out = compose(&p, &[(tiny, Expression::Surprise)], "bunny").unwrap();
    assert!(!same(&p, &out, 216, 166));
    assert!(same(&p, &out, 100, 100));

    // A box far larger than the photo covers it (centre changed) without allocating the whole
    // emoji canvas.
    let huge = FaceBox {
        x: 0,
        y: 0,
        width: 20_000,
        height: 20_000,
    };
    let out = compose(&p, &[(huge, Expression::Happy)], "classic").unwrap();
    assert_eq!(out.dimensions(), (400, 300));
    let huge = FaceBox {
        x: u32::MAX - 10,
        y: u32::MAX - 10,
        width: u32::MAX,
        height: u32::MAX,
    };
    compose(&p, &[(huge, Expression::Happy)], "cat").unwrap();

    // Many faces in one photo.
    let many: Vec<_> = (0..12)
        .map(|i| {
            (
                FaceBox {
                    x: 30 * i,
                    y: 20 * i,
                    width: 40,
                    height: 48,
                },
                Expression::ALL[i as usize % 7],
            )
        })
        .collect();
    compose(&p, &many, "cat").unwrap();
}

#[test]
fn thumbnail_fits_and_keeps_aspect() {
    let img = RgbImage::from_pixel(1000, 600, Rgb([10, 200, 30]));
    let jpg = thumbnail_jpeg(&img, 256, 85).unwrap();
    let back = image::load_from_memory(&jpg).unwrap();
    assert_eq!((back.width(), back.height()), (256, 154));
    // Colours survive the reduction (within JPEG error).
    let px = back.to_rgb8().get_pixel(128, 77).0;
    for (got, want) in px.iter().zip([10u8, 200, 30]) {
        assert!(got.abs_diff(want) <= 6, "{px:?}");
    }

    let tall = RgbImage::new(300, 2000);
    let back = image::load_from_memory(&thumbnail_jpeg(&tall, 256, 80).unwrap()).unwrap();
    assert_eq!((back.width(), back.height()), (38, 256));

    // Small images are not enlarged; extreme aspect keeps at least one pixel.
    let small = RgbImage::new(100, 50);
    let back = image::load_from_memory(&thumbnail_jpeg(&small, 256, 80).unwrap()).unwrap();
    assert_eq!((back.width(), back.height()), (100, 50));
    let strip = RgbImage::new(5000, 2);
    let back = image::load_from_memory(&thumbnail_jpeg(&strip, 256, 80).unwrap()).unwrap();
    assert_eq!((back.width(), back.height()), (256, 1));

    assert!(thumbnail_jpeg(&img, 0, 80).is_err());
}

#[test]
fn png_round_trips() {
    let out = compose(
        &photo(120, 90),
        &[(
            FaceBox {
                x: 30,
                y: 20,
                width: 50,
                height: 50,
            },
            Expression::Sad,
        )],
        "bear",
    )
    .unwrap();
    let png = encode_png(&out).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let decoded = image::load_from_memory(&png).unwrap();
    // Composites are opaque: stored without an alpha channel.
    assert_eq!(decoded.color(), image::ColorType::Rgb8);
    assert_eq!(decoded.to_rgb8(), out);

    let emoji = render_emoji("bunny", Expression::Fear, 64).unwrap();
    let back = image::load_from_memory(&encode_png_rgba(&emoji).unwrap())
        .unwrap()
        .to_rgba8();
    assert_eq!(back, emoji);
}
