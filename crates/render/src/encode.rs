//! Encoding results for storage and galleries.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::{ExtendedColorType, ImageEncoder, RgbImage, RgbaImage};

use crate::RenderError;

/// Encodes as PNG (lossless, keeps alpha).
pub fn encode_png(img: &RgbaImage) -> Result<Vec<u8>, RenderError> {
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return Err(RenderError::EmptyImage(w, h));
    }
    let mut buf = Vec::new();
    PngEncoder::new(&mut buf).write_image(img.as_raw(), w, h, ExtendedColorType::Rgba8)?;
    Ok(buf)
}

/// A JPEG thumbnail whose longer side is at most `max_side` (smaller images are not enlarged),
/// aspect ratio kept, transparency flattened over white (JPEG has no alpha, and white matches
/// the gallery background). `quality` is clamped to 1..=100.
pub fn thumbnail_jpeg(img: &RgbaImage, max_side: u32, quality: u8) -> Result<Vec<u8>, RenderError> {
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return Err(RenderError::EmptyImage(w, h));
    }
    if max_side == 0 {
        return Err(RenderError::InvalidSize(max_side));
    }
    let long = w.max(h);
    // Integer box reduction to about twice the target (alias-free area averaging), fused with
    // the flatten pass, then CatmullRom for the last step: the look of CatmullRom all the way
    // at a fraction of the cost, since that filter's support grows with the reduction ratio.
    let k = (long / max_side.saturating_mul(2)).max(1);
    let mut rgb = flatten_reduce(img, k).ok_or(RenderError::Allocation(w, h))?;
    if long > max_side {
        // Target size from the original dimensions, so block rounding cannot skew the aspect.
        let fit = |v: u32| {
            let scaled =
                (u64::from(v) * u64::from(max_side) + u64::from(long) / 2) / u64::from(long);
            u32::try_from(scaled).unwrap_or(max_side).clamp(1, max_side)
        };
        rgb = image::imageops::resize(&rgb, fit(w), fit(h), FilterType::CatmullRom);
    }
    let mut buf = Vec::new();
    JpegEncoder::new_with_quality(&mut buf, quality.clamp(1, 100)).write_image(
        rgb.as_raw(),
        rgb.width(),
        rgb.height(),
        ExtendedColorType::Rgb8,
    )?;
    Ok(buf)
}

/// Flattens over white and averages `k`×`k` blocks (partial blocks at the right and bottom
/// edges average what they have), in one pass over the pixels.
fn flatten_reduce(img: &RgbaImage, k: u32) -> Option<RgbImage> {
    let (w, h) = img.dimensions();
    let (ow, oh) = (w.div_ceil(k), h.div_ceil(k));
    let ku = k as usize;
    let raw = img.as_raw();
    let row_bytes = w as usize * 4;
    let mut out = Vec::with_capacity(ow as usize * oh as usize * 3);
    let mut acc = vec![0u32; ow as usize * 3];
    for oy in 0..oh {
        acc.fill(0);
        let (y0, y1) = (oy * k, (oy * k + k).min(h));
        for y in y0..y1 {
            let row = &raw[y as usize * row_bytes..(y as usize + 1) * row_bytes];
            for (block, sum) in row.chunks(4 * ku).zip(acc.chunks_exact_mut(3)) {
                for px in block.chunks_exact(4) {
                    let a = u32::from(px[3]);
                    for c in 0..3 {
                        // Compose output is opaque, so the common case skips the blend.
                        sum[c] += if a == 255 {
                            u32::from(px[c])
                        } else {
                            (u32::from(px[c]) * a + 255 * (255 - a) + 127) / 255
                        };
                    }
                }
            }
        }
        let rows = y1 - y0;
        for (ox, sum) in acc.chunks_exact(3).enumerate() {
            let cols = k.min(w - ox as u32 * k);
            let n = rows * cols;
            out.extend(sum.iter().map(|&v| ((v + n / 2) / n) as u8));
        }
    }
    RgbImage::from_raw(ow, oh, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgba;

    #[test]
    fn flatten_reduce_averages_blocks_and_flattens_over_white() {
        let mut img = RgbaImage::from_pixel(5, 3, Rgba([0, 0, 0, 255]));
        img.put_pixel(0, 0, Rgba([200, 100, 0, 255]));
        img.put_pixel(4, 2, Rgba([9, 9, 9, 0]));
        let r = flatten_reduce(&img, 2).unwrap();
        assert_eq!(r.dimensions(), (3, 2));
        assert_eq!(r.get_pixel(0, 0).0, [50, 25, 0]);
        // The bottom-right block is a single transparent pixel: pure white.
        assert_eq!(r.get_pixel(2, 1).0, [255, 255, 255]);
        let same = flatten_reduce(&img, 1).unwrap();
        assert_eq!(same.get_pixel(0, 0).0, [200, 100, 0]);
        assert_eq!(same.get_pixel(4, 2).0, [255, 255, 255]);
    }
}
