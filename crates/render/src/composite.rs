//! Pasting emoji over faces.

use image::RgbImage;
use moji_catalog::{Expression, FaceBox};
use resvg::tiny_skia::Transform;

use crate::emoji::{pixmap, style, tree, Style, VIEWBOX};
use crate::RenderError;

/// How [`compose_with`] sizes and blends each emoji.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ComposeOptions {
    /// Emoji head diameter relative to the larger side of the face box. Detector boxes stop at
    /// the brow and chin, so a little more than 1 is needed to hide hairline and jaw.
    pub cover: f32,
    /// Width of the feathered rim as a fraction of the emoji head radius: wide enough that the
    /// sticker melts into the photo, narrow enough that the face stays hidden.
    pub feather: f32,
}

impl Default for ComposeOptions {
    fn default() -> Self {
        Self {
            cover: 1.25,
            feather: 0.07,
        }
    }
}

/// Largest feather radius in pixels. Beyond this the blur cost grows with no visible gain, and
/// it bounds the render margin around the photo for absurdly large boxes.
const MAX_FEATHER_PX: i64 = 96;

/// Pastes the `template` emoji for each face's expression over its box, scaled to cover it,
/// clipped at the photo edges, with a feathered rim. Returns an RGB image of the photo's
/// size. Faces are drawn in order, so later ones overlap earlier ones.
pub fn compose(
    photo: &RgbImage,
    faces: &[(FaceBox, Expression)],
    template: &str,
) -> Result<RgbImage, RenderError> {
    compose_with(photo, faces, template, &ComposeOptions::default())
}

/// [`compose`] with explicit options.
pub fn compose_with(
    photo: &RgbImage,
    faces: &[(FaceBox, Expression)],
    template: &str,
    options: &ComposeOptions,
) -> Result<RgbImage, RenderError> {
    let (w, h) = photo.dimensions();
    if w == 0 || h == 0 {
        return Err(RenderError::EmptyImage(w, h));
    }
    // Validate the template even for zero faces so a bad request fails the same way always.
    let (si, st) = style(template)?;
    // The result stays RGB: a photo is opaque, and so is every emoji blended onto it.
    let mut out = photo.clone();
    let defaults = ComposeOptions::default();
    let cover = if options.cover.is_finite() && options.cover > 0.0 {
        options.cover.min(8.0)
    } else {
        defaults.cover
    };
    let feather = if options.feather.is_finite() {
        options.feather.clamp(0.0, 0.5)
    } else {
        defaults.feather
    };
    for &(face, expression) in faces {
        paste(&mut out, si, st, face, expression, cover, feather)?;
    }
    Ok(out)
}

/// Integer rectangle, half-open.
#[derive(Debug, Clone, Copy)]
struct Rect {
    x0: i64,
    y0: i64,
    x1: i64,
    y1: i64,
}

impl Rect {
    fn intersect(self, o: Rect) -> Rect {
        Rect {
            x0: self.x0.max(o.x0),
            y0: self.y0.max(o.y0),
            x1: self.x1.min(o.x1),
            y1: self.y1.min(o.y1),
        }
    }
    fn grow(self, m: i64) -> Rect {
        Rect {
            x0: self.x0 - m,
            y0: self.y0 - m,
            x1: self.x1 + m,
            y1: self.y1 + m,
        }
    }
    fn is_empty(self) -> bool {
        self.x0 >= self.x1 || self.y0 >= self.y1
    }
    fn width(self) -> u32 {
        u32::try_from(self.x1 - self.x0).unwrap_or(0)
    }
    fn height(self) -> u32 {
        u32::try_from(self.y1 - self.y0).unwrap_or(0)
    }
}

fn paste(
    out: &mut RgbImage,
    style_index: usize,
    st: &Style,
    face: FaceBox,
    expression: Expression,
    cover: f32,
    feather: f32,
) -> Result<(), RenderError> {
    if face.width == 0 || face.height == 0 {
        return Ok(());
    }
    // Pixels per viewBox unit, chosen so the head (not the canvas) covers the box.
    let scale = cover * face.width.max(face.height) as f32 / 2.0 / st.head_radius;
    let cx = face.x as f32 + face.width as f32 / 2.0;
    let cy = face.y as f32 + face.height as f32 / 2.0;
    let ox = cx - st.head_centre.0 * scale;
    let oy = cy - st.head_centre.1 * scale;
    let side = VIEWBOX * scale;
    let emoji = Rect {
        x0: ox.floor() as i64,
        y0: oy.floor() as i64,
        x1: (ox + side).ceil() as i64,
        y1: (oy + side).ceil() as i64,
    };
    let photo = Rect {
        x0: 0,
        y0: 0,
        x1: i64::from(out.width()),
        y1: i64::from(out.height()),
    };
    let visible = emoji.intersect(photo);
    if visible.is_empty() {
        return Ok(());
    }
    let radius = ((feather * st.head_radius * scale).round() as i64).clamp(0, MAX_FEATHER_PX);
    // Render a margin beyond the visible part so the rim blur sees the real silhouette there
    // (outside the emoji's own square the alpha really is zero, so that edge needs no margin).
    let region = visible.grow(radius).intersect(emoji);
    let (rw, rh) = (region.width(), region.height());
    let mut pm = pixmap(rw, rh)?;
    let t = tree(style_index, expression)?;
    let transform = Transform::from_row(
        scale,
        0.0,
        0.0,
        scale,
        ox - region.x0 as f32,
        oy - region.y0 as f32,
    );
    resvg::render(&t, transform, &mut pm.as_mut());

    let factor = if radius > 0 {
        Some(rim_factor(
            pm.data(),
            rw as usize,
            rh as usize,
            radius as usize,
        ))
    } else {
        None
    };
    let src = pm.data();
    let out_w = out.width() as usize;
    let dst: &mut [u8] = out;
    for y in visible.y0..visible.y1 {
        let src_row = (y - region.y0) as usize * rw as usize;
        let dst_row = y as usize * out_w;
        for x in visible.x0..visible.x1 {
            let si = src_row + (x - region.x0) as usize;
            let s = &src[si * 4..si * 4 + 4];
            let f = factor.as_ref().map_or(255, |f| u32::from(f[si]));
            if s[3] == 0 || f == 0 {
                continue;
            }
            let di = (dst_row + x as usize) * 3;
            // tiny-skia pixels are premultiplied: out = src·f + dst·(1 − alpha·f).
            let a = div255(u32::from(s[3]) * f);
            let keep = 255 - a;
            for c in 0..3 {
                let v = div255(u32::from(s[c]) * f) + div255(u32::from(dst[di + c]) * keep);
                dst[di + c] = v.min(255) as u8;
            }
        }
    }
    Ok(())
}

/// x / 255 rounded, exact for x ≤ 255·255.
#[inline]
fn div255(x: u32) -> u32 {
    ((x + 128) * 257) >> 16
}

/// Per-pixel multiplier (0..=255) that fades the emoji out over `r` pixels inside its
/// silhouette. A (2r+1)² box blur of the alpha is ½ exactly on a straight edge and reaches 1 at
/// r pixels inside, so `2·blur − 1` ramps from 0 at the rim to 1 at depth r; corners and thin
/// protrusions (ear tips) come out softer still, which is what a feather should do.
fn rim_factor(premul: &[u8], w: usize, h: usize, r: usize) -> Vec<u8> {
    // Horizontal running sums of alpha, treating outside as transparent.
    let mut horiz = vec![0u32; w * h];
    for y in 0..h {
        let row = y * w;
        let alpha = |x: usize| u32::from(premul[(row + x) * 4 + 3]);
        let mut sum: u32 = (0..=r.min(w - 1)).map(alpha).sum();
        for x in 0..w {
            horiz[row + x] = sum;
            if x + r + 1 < w {
                sum += alpha(x + r + 1);
            }
            if x >= r {
                sum -= alpha(x - r);
            }
        }
    }
    let n = ((2 * r + 1) * (2 * r + 1)) as u32;
    let mut out = vec![0u8; w * h];
    let mut col = vec![0u32; w];
    // Vertical running sums over the horizontal sums, all columns at once for cache locality.
    for y in 0..=r.min(h - 1) {
        for (c, v) in col.iter_mut().zip(&horiz[y * w..(y + 1) * w]) {
            *c += v;
        }
    }
    for y in 0..h {
        for (x, &c) in col.iter().enumerate() {
            let blur = c / n; // 0..=255
            out[y * w + x] = (2 * blur).saturating_sub(255).min(255) as u8;
        }
        if y + r + 1 < h {
            let add = &horiz[(y + r + 1) * w..(y + r + 2) * w];
            col.iter_mut().zip(add).for_each(|(c, v)| *c += v);
        }
        if y >= r {
            let sub = &horiz[(y - r) * w..(y - r + 1) * w];
            col.iter_mut().zip(sub).for_each(|(c, v)| *c -= v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn div255_is_rounded_division() {
        for x in (0..=255 * 255).step_by(7) {
            assert_eq!(div255(x), (x as f64 / 255.0).round() as u32, "{x}");
        }
    }

    #[test]
    fn rim_factor_ramps_inward() {
        // An opaque 40x40 square in the middle of a 60x60 canvas.
        let (w, h, r) = (60, 60, 4);
        let mut px = vec![0u8; w * h * 4];
        for y in 10..50 {
            for x in 10..50 {
                px[(y * w + x) * 4 + 3] = 255;
            }
        }
        let f = rim_factor(&px, w, h, r);
        let at = |x: usize, y: usize| f[y * w + x];
        assert_eq!(at(30, 30), 255, "deep inside stays opaque");
        assert_eq!(at(5, 30), 0, "outside stays transparent");
        assert!(
            at(10, 30) < 64,
            "the rim pixel is mostly faded: {}",
            at(10, 30)
        );
        assert!(at(10, 30) < at(12, 30) && at(12, 30) < at(14, 30));
        assert_eq!(at(15, 30), 255);
        assert!(at(10, 10) < at(10, 30), "corners fade more than edges");
    }
}
