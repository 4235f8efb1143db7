//! Micro-benchmark: compose on a 1 MP photo, thumbnail and PNG encoding. Prints milliseconds.
//!
//! Run: `cargo bench -p moji-render --bench compose`

use std::hint::black_box;
use std::time::Instant;

use image::{Rgb, RgbImage};
use moji_render::{compose, encode_png, render_emoji, thumbnail_jpeg, Expression, FaceBox};

/// Median and minimum of `n` runs, in milliseconds.
fn time<T>(n: usize, mut f: impl FnMut() -> T) -> (f64, f64) {
    let mut v: Vec<f64> = (0..n)
        .map(|_| {
            let t = Instant::now();
            black_box(f());
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    v.sort_by(f64::total_cmp);
    (v[n / 2], v[0])
}

fn report(name: &str, (median, min): (f64, f64)) {
    println!("{name:<46} median {median:>8.3} ms   min {min:>8.3} ms");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1280x800 ≈ 1 MP, textured so PNG and JPEG do real work.
    let photo = RgbImage::from_fn(1280, 800, |x, y| {
        Rgb([
            (x % 251) as u8,
            (y % 241) as u8,
            ((x * 7 + y * 13) % 256) as u8,
        ])
    });
    let face = FaceBox {
        x: 500,
        y: 200,
        width: 260,
        height: 300,
    };
    let small = FaceBox {
        x: 100,
        y: 100,
        width: 80,
        height: 90,
    };
    let n = 30;

    let t = Instant::now();
    compose(&photo, &[(face, Expression::Happy)], "classic")?;
    println!(
        "first compose (parses the SVG)                 {:.3} ms",
        t.elapsed().as_secs_f64() * 1e3
    );

    let base = time(n, || compose(&photo, &[], "classic"));
    report("compose, 0 faces (RGB->RGBA copy only)", base);
    for t in ["classic", "cat", "bear", "bunny"] {
        // Warm the parse cache so only rendering and blending are timed.
        compose(&photo, &[(face, Expression::Surprise)], t)?;
        let one = time(n, || compose(&photo, &[(face, Expression::Surprise)], t));
        report(&format!("compose, 1 face 260x300, {t}"), one);
        println!(
            "{:<46} {:>8.3} ms",
            "  -> per face (minus 0-face baseline)",
            one.0 - base.0
        );
    }
    let one_small = time(n, || compose(&photo, &[(small, Expression::Sad)], "bear"));
    report("compose, 1 face 80x90, bear", one_small);
    let faces: Vec<_> = (0..5)
        .map(|i| {
            (
                FaceBox {
                    x: 40 + 240 * i,
                    y: 250,
                    width: 180,
                    height: 200,
                },
                Expression::ALL[i as usize],
            )
        })
        .collect();
    let five = time(n, || compose(&photo, &faces, "cat"));
    report("compose, 5 faces 180x200, cat", five);

    let out = compose(&photo, &[(face, Expression::Happy)], "classic")?;
    report(
        "thumbnail_jpeg 1280x800 -> 256 q85",
        time(n, || thumbnail_jpeg(&out, 256, 85)),
    );
    report("encode_png 1280x800", time(10, || encode_png(&out)));
    report(
        "render_emoji 256 px (cached)",
        time(n, || render_emoji("cat", Expression::Happy, 256)),
    );
    let mut size = 300;
    report(
        "render_emoji 300-329 px (uncached)",
        time(n, || {
            size += 1;
            render_emoji("cat", Expression::Happy, size)
        }),
    );
    Ok(())
}
