//! Composes emoji onto a photo and writes a PNG.
//!
//! Usage: `cargo run -p moji-render --example compose_demo -- PHOTO OUT.png TEMPLATE BOX...`
//! where each BOX is `x,y,w,h` or `x,y,w,h:expression` (default happy), and TEMPLATE may be
//! `all` for a strip with one composition per template side by side.
//! Example: `compose_demo astronaut.png out.png all 177,66,95,110:happy`

use image::{imageops, RgbImage};
use moji_render::{compose, encode_png, template_ids, Expression, FaceBox};

fn parse_box(s: &str) -> Result<(FaceBox, Expression), String> {
    let (geom, expr) = s.split_once(':').unwrap_or((s, "happy"));
    let v: Vec<u32> = geom
        .split(',')
        .map(|p| p.trim().parse().map_err(|e| format!("{s}: {e}")))
        .collect::<Result<_, _>>()?;
    let [x, y, width, height] = v[..] else {
        return Err(format!("{s}: expected x,y,w,h"));
    };
    let e = Expression::parse(expr).ok_or_else(|| format!("{s}: unknown expression {expr}"))?;
    Ok((
        FaceBox {
            x,
            y,
            width,
            height,
        },
        e,
    ))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [photo, out, template, boxes @ ..] = &args[..] else {
        return Err("usage: compose_demo PHOTO OUT.png TEMPLATE|all x,y,w,h[:expr]...".into());
    };
    let photo = image::open(photo)?.to_rgb8();
    let faces: Vec<_> = boxes
        .iter()
        .map(|b| parse_box(b))
        .collect::<Result<_, _>>()?;
    let templates: Vec<&str> = if template == "all" {
        template_ids().collect()
    } else {
        vec![template.as_str()]
    };
    let (w, h) = photo.dimensions();
    let mut strip = RgbImage::new(w * templates.len() as u32, h);
    for (i, t) in templates.iter().enumerate() {
        let started = std::time::Instant::now();
        let img = compose(&photo, &faces, t)?;
        println!(
            "{t}: {} face(s) in {:.2} ms",
            faces.len(),
            started.elapsed().as_secs_f64() * 1e3
        );
        imageops::replace(&mut strip, &img, i64::from(w) * i as i64, 0);
    }
    std::fs::write(out, encode_png(&strip)?)?;
    println!("wrote {out}");
    Ok(())
}
