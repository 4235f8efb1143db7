//! The embedded emoji art, parsed once, and rasterisation with a small cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use image::RgbaImage;
use moji_catalog::Expression;
use resvg::tiny_skia::{Pixmap, Transform};
use resvg::usvg;

use crate::{RenderError, MAX_EMOJI_SIDE};

/// Side of every template's viewBox.
pub(crate) const VIEWBOX: f32 = 512.0;

/// Embeds one style's seven files in [`Expression::ALL`] order.
macro_rules! style_files {
    ($style:literal) => {
        [
            include_str!(concat!("../templates/", $style, "/angry.svg")),
            include_str!(concat!("../templates/", $style, "/disgust.svg")),
            include_str!(concat!("../templates/", $style, "/fear.svg")),
            include_str!(concat!("../templates/", $style, "/happy.svg")),
            include_str!(concat!("../templates/", $style, "/sad.svg")),
            include_str!(concat!("../templates/", $style, "/surprise.svg")),
            include_str!(concat!("../templates/", $style, "/neutral.svg")),
        ]
    };
}

/// One template's art and where its face sits inside the 512×512 viewBox.
pub(crate) struct Style {
    pub id: &'static str,
    files: [&'static str; 7],
    /// Centre of the head (not of the canvas: ears stick out above), in viewBox units.
    pub head_centre: (f32, f32),
    /// Mean radius of the head, in viewBox units; compose scales this to the face box.
    pub head_radius: f32,
}

/// Ids match `moji_catalog::templates()`; a test keeps them in step.
static STYLES: [Style; 4] = [
    Style {
        id: "classic",
        files: style_files!("classic"),
        head_centre: (256.0, 256.0),
        head_radius: 226.0,
    },
    Style {
        id: "cat",
        files: style_files!("cat"),
        head_centre: (256.0, 292.0),
        head_radius: 200.0,
    },
    Style {
        id: "bear",
        files: style_files!("bear"),
        head_centre: (256.0, 284.0),
        head_radius: 210.0,
    },
    Style {
        id: "bunny",
        files: style_files!("bunny"),
        head_centre: (256.0, 326.0),
        head_radius: 191.0,
    },
];

/// Ids of all templates this renderer has art for.
pub fn template_ids() -> impl Iterator<Item = &'static str> {
    STYLES.iter().map(|s| s.id)
}

pub(crate) fn style(template: &str) -> Result<(usize, &'static Style), RenderError> {
    STYLES
        .iter()
        .enumerate()
        .find(|(_, s)| s.id == template)
        .ok_or_else(|| RenderError::UnknownTemplate(template.to_owned()))
}

/// The SVG text of one emoji.
pub fn svg_source(template: &str, expression: Expression) -> Option<&'static str> {
    let (_, s) = style(template).ok()?;
    Some(s.files[expression.index()])
}

/// Parsed trees, filled on first use. Parsing all 28 takes a few milliseconds, so a template
/// nobody asks for is never parsed.
static TREES: OnceLock<Vec<OnceLock<Arc<usvg::Tree>>>> = OnceLock::new();

pub(crate) fn tree(
    style_index: usize,
    expression: Expression,
) -> Result<Arc<usvg::Tree>, RenderError> {
    let slots = TREES.get_or_init(|| (0..STYLES.len() * 7).map(|_| OnceLock::new()).collect());
    let slot = &slots[style_index * 7 + expression.index()];
    if let Some(t) = slot.get() {
        return Ok(Arc::clone(t));
    }
    let text = STYLES[style_index].files[expression.index()];
    let parsed = Arc::new(usvg::Tree::from_str(text, &usvg::Options::default())?);
    // Two threads may parse concurrently; either result is identical, keep the first.
    Ok(Arc::clone(slot.get_or_init(|| parsed)))
}

/// Allocates a transparent pixmap, mapping failure (zero or absurd sizes) to an error.
pub(crate) fn pixmap(width: u32, height: u32) -> Result<Pixmap, RenderError> {
    Pixmap::new(width, height).ok_or(RenderError::Allocation(width, height))
}

/// Converts tiny-skia's premultiplied pixels to straight-alpha RGBA.
fn to_rgba(p: &Pixmap) -> Result<RgbaImage, RenderError> {
    let mut raw = Vec::with_capacity(p.data().len());
    for px in p.pixels() {
        let c = px.demultiply();
        raw.extend_from_slice(&[c.red(), c.green(), c.blue(), c.alpha()]);
    }
    RgbaImage::from_raw(p.width(), p.height(), raw)
        .ok_or(RenderError::Allocation(p.width(), p.height()))
}

type CacheKey = (usize, Expression, u32);

/// Rendered emoji, small and few: the api's previews and galleries ask for the same handful of
/// sizes over and over. Cleared wholesale when full, which is simpler than LRU and good enough
/// for a working set this small.
static CACHE: OnceLock<Mutex<HashMap<CacheKey, Arc<RgbaImage>>>> = OnceLock::new();
const CACHE_ENTRIES: usize = 64;
/// Larger renders are not cached: they are rare and each would pin megabytes.
const CACHE_MAX_SIDE: u32 = 512;

/// Renders one emoji as a `size`×`size` straight-alpha RGBA image with a transparent
/// background. Results up to 512 px are cached.
pub fn render_emoji(
    template: &str,
    expression: Expression,
    size: u32,
) -> Result<RgbaImage, RenderError> {
    if size == 0 || size > MAX_EMOJI_SIDE {
        return Err(RenderError::InvalidSize(size));
    }
    let (si, _) = style(template)?;
    let key = (si, expression, size);
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if size <= CACHE_MAX_SIDE {
        // A poisoned lock only means another thread panicked mid-insert; the map is still valid.
        let map = cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(img) = map.get(&key) {
            return Ok((**img).clone());
        }
    }
    let t = tree(si, expression)?;
    let mut pm = pixmap(size, size)?;
    let scale = size as f32 / VIEWBOX;
    resvg::render(&t, Transform::from_scale(scale, scale), &mut pm.as_mut());
    let img = to_rgba(&pm)?;
    if size <= CACHE_MAX_SIDE {
        let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= CACHE_ENTRIES {
            map.clear();
        }
        map.insert(key, Arc::new(img.clone()));
    }
    Ok(img)
}
