//! Writes a PNG grid of every template (rows) × expression (columns, model order:
//! angry, disgust, fear, happy, sad, surprise, neutral) over a checkerboard that shows
//! transparency.
//!
//! Usage: `cargo run -p moji-render --example contact_sheet -- OUT.png [CELL_PX [TEMPLATE]]`
//! (a TEMPLATE limits the sheet to that one row, for a close look).

use image::{imageops, Rgba, RgbaImage};
use moji_render::{encode_png_rgba, render_emoji, template_ids, Expression};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args
        .next()
        .ok_or("usage: contact_sheet OUT.png [CELL_PX]")?;
    let cell: u32 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(192);
    let pad = cell / 16;
    let only = args.next();
    let templates: Vec<&str> = template_ids()
        .filter(|t| only.as_deref().is_none_or(|o| o == *t))
        .collect();
    if templates.is_empty() {
        return Err("no such template".into());
    }
    let cols = Expression::ALL.len() as u32;
    let rows = templates.len() as u32;
    let (w, h) = (cols * (cell + pad) + pad, rows * (cell + pad) + pad);
    let mut sheet = RgbaImage::from_fn(w, h, |x, y| {
        if (x / 12 + y / 12) % 2 == 0 {
            Rgba([236, 236, 236, 255])
        } else {
            Rgba([250, 250, 250, 255])
        }
    });
    for (r, t) in templates.iter().enumerate() {
        for (c, e) in Expression::ALL.into_iter().enumerate() {
            let emoji = render_emoji(t, e, cell)?;
            let x = i64::from(pad + c as u32 * (cell + pad));
            let y = i64::from(pad + r as u32 * (cell + pad));
            imageops::overlay(&mut sheet, &emoji, x, y);
        }
    }
    std::fs::write(&out, encode_png_rgba(&sheet)?)?;
    println!("wrote {out} ({w}x{h})");
    Ok(())
}
