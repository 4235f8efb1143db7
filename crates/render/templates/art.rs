//! The generator of the emoji art under `templates/<style>/<expression>.svg`.
//!
//! Every file is a per-style head (ears, fur, muzzle, nose, whiskers) plus per-expression
//! features (brows, eyes, mouth, tint, tears, marks) drawn at that style's anchor points, so the
//! 28 files stay consistent with each other. The library embeds the generated files, not this
//! code; `cargo run -p moji-render --example gen_templates` rewrites them and the
//! `templates_fresh` test fails when someone edits one side only.

use std::fmt::Write;

/// Template styles, in catalogue order.
pub const STYLES: [&str; 4] = ["classic", "cat", "bear", "bunny"];

/// Expressions, in model order.
pub const EXPRESSIONS: [&str; 7] = [
    "angry", "disgust", "fear", "happy", "sad", "surprise", "neutral",
];

/// Mouth interior, tongue and tint colours shared by all styles so expressions read the same.
const MOUTH: &str = "#6B1B1B";
const TONGUE: &str = "#FF7B8C";
const TEAR: &str = "#5BC0F8";
const TEAR_EDGE: &str = "#1E88E5";
const BLUSH: &str = "#FF6F86";

/// One head design and where its features go.
struct Style {
    /// Drawn behind the head: ears.
    back: String,
    /// Head geometry as an element without paint, reused for the fill, the tint and the outline.
    head: String,
    /// Head gradient stops, light to dark, and the outline colour.
    fur: [&'static str; 3],
    outline: &'static str,
    /// Drawn on the head under the features: stripes, muzzle, permanent cheeks.
    decor: String,
    /// Drawn after the eyes: nose and philtrum.
    nose: String,
    /// Drawn last among the face parts.
    whiskers: String,
    /// Eye centres and size factor.
    eyes: [(f32, f32); 2],
    eye_scale: f32,
    /// Mouth anchor (centre of the mouth line) and mouth width.
    mouth: (f32, f32),
    mouth_w: f32,
    /// Cheek centres for blush.
    cheeks: [(f32, f32); 2],
    /// Where the anger mark or sweat drop goes (upper forehead, clear of ears and brows).
    mark: (f32, f32),
    /// Feature colour.
    ink: &'static str,
    /// Replacement for the straight neutral mouth (the animals' "ω").
    neutral_mouth: Option<String>,
}

/// Formats a coordinate compactly ("12", "12.5").
fn n(v: f32) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// Mirrors an x coordinate around the vertical centre line.
fn mx(x: f32) -> f32 {
    512.0 - x
}

/// The animals' closed "ω" mouth hanging from the philtrum at (256, top).
fn omega(top: f32, half: f32, ink: &str, width: f32) -> String {
    format!(
        r##"<path d="M{l},{y0} Q{lq},{yb} 256,{top} Q{rq},{yb} {r},{y0}" fill="none" stroke="{ink}" stroke-width="{w}" stroke-linecap="round" stroke-linejoin="round"/>"##,
        l = n(256.0 - half),
        r = n(256.0 + half),
        lq = n(256.0 - half / 2.0),
        rq = n(256.0 + half / 2.0),
        y0 = n(top - 2.0),
        yb = n(top + half * 0.75),
        top = n(top),
        w = n(width),
    )
}

fn classic() -> Style {
    Style {
        back: String::new(),
        head: r##"<circle cx="256" cy="256" r="226"/>"##.into(),
        fur: ["#FFE97A", "#FFD23F", "#F6A623"],
        outline: "#D98E04",
        decor: r##"<ellipse cx="178" cy="118" rx="84" ry="40" transform="rotate(-28 178 118)" fill="#FFFFFF" opacity="0.28"/>"##.into(),
        nose: String::new(),
        whiskers: String::new(),
        eyes: [(180.0, 212.0), (332.0, 212.0)],
        eye_scale: 1.2,
        mouth: (256.0, 345.0),
        mouth_w: 190.0,
        cheeks: [(128.0, 300.0), (384.0, 300.0)],
        mark: (386.0, 116.0),
        ink: "#5B3A1A",
        neutral_mouth: None,
    }
}

fn cat() -> Style {
    let ink = "#3B2412";
    let fur_edge = "#B8641A";
    let ear = |flip: bool| {
        let x = |v: f32| if flip { mx(v) } else { v };
        format!(
            r##"<path d="M{a},236 L{b},58 Q{c},40 {d},52 L{e},138 Z" fill="#EE9233" stroke="{fur_edge}" stroke-width="6" stroke-linejoin="round"/><path d="M{f},196 L{g},92 L{h},146 Z" fill="#FFB6C4" stroke="#F08CA2" stroke-width="3" stroke-linejoin="round"/>"##,
            a = n(x(86.0)),
            b = n(x(110.0)),
            c = n(x(118.0)),
            d = n(x(134.0)),
            e = n(x(250.0)),
            f = n(x(116.0)),
            g = n(x(130.0)),
            h = n(x(212.0)),
        )
    };
    let stripe = "#CC6D14";
    let mut decor = format!(
        r##"<g fill="none" stroke="{stripe}" stroke-width="11" stroke-linecap="round"><path d="M256,110 L256,152"/><path d="M220,116 L228,150"/><path d="M292,116 L284,150"/><path d="M48,268 L88,280"/><path d="M48,306 L86,306"/><path d="M464,268 L424,280"/><path d="M464,306 L426,306"/></g>"##
    );
    decor.push_str(r##"<ellipse cx="256" cy="364" rx="96" ry="64" fill="#FFF1DC"/>"##);
    let mut whiskers = String::from(
        r##"<g fill="none" stroke="#7A4A1E" stroke-width="4" stroke-linecap="round" opacity="0.85">"##,
    );
    for (x0, y0, x1, y1) in [
        (164.0, 350.0, 40.0, 328.0),
        (164.0, 366.0, 36.0, 372.0),
        (166.0, 382.0, 46.0, 414.0),
    ] {
        let _ = write!(
            whiskers,
            r##"<path d="M{},{} L{},{}"/><path d="M{},{} L{},{}"/>"##,
            n(x0),
            n(y0),
            n(x1),
            n(y1),
            n(mx(x0)),
            n(y0),
            n(mx(x1)),
            n(y1)
        );
    }
    whiskers.push_str("</g>");
    Style {
        back: format!("{}{}", ear(false), ear(true)),
        head: r##"<ellipse cx="256" cy="292" rx="214" ry="186"/>"##.into(),
        fur: ["#FFC46E", "#F5A141", "#E08224"],
        outline: fur_edge,
        decor,
        nose: format!(
            r##"<path d="M256,348 L256,362" stroke="{ink}" stroke-width="6" stroke-linecap="round"/><path d="M238,326 L274,326 Q279,328 275,334 L261,348 Q256,352 251,348 L237,334 Q233,328 238,326 Z" fill="#FF8FA3" stroke="#C25B6E" stroke-width="3" stroke-linejoin="round"/>"##
        ),
        whiskers,
        eyes: [(178.0, 266.0), (334.0, 266.0)],
        eye_scale: 1.0,
        mouth: (256.0, 384.0),
        mouth_w: 112.0,
        cheeks: [(140.0, 330.0), (372.0, 330.0)],
        mark: (398.0, 170.0),
        ink,
        neutral_mouth: Some(omega(360.0, 30.0, ink, 7.0)),
    }
}

fn bear() -> Style {
    let ink = "#2B1A0E";
    let edge = "#5E3A17";
    let ear = |cx: f32| {
        format!(
            r##"<circle cx="{c}" cy="118" r="74" fill="#8E5C2C" stroke="{edge}" stroke-width="6"/><circle cx="{c}" cy="118" r="42" fill="#DDAE7D"/>"##,
            c = n(cx)
        )
    };
    Style {
        back: format!("{}{}", ear(114.0), ear(mx(114.0))),
        head: r##"<circle cx="256" cy="284" r="210"/>"##.into(),
        fur: ["#BC874F", "#A06A37", "#7E4E24"],
        outline: edge,
        decor: r##"<ellipse cx="256" cy="364" rx="110" ry="84" fill="#EDCFA4" stroke="#D2AE7E" stroke-width="3"/>"##.into(),
        nose: format!(
            r##"<path d="M256,340 L256,362" stroke="{ink}" stroke-width="6" stroke-linecap="round"/><ellipse cx="256" cy="324" rx="38" ry="26" fill="{ink}"/><ellipse cx="244" cy="315" rx="11" ry="6" fill="#FFFFFF" opacity="0.55"/>"##
        ),
        whiskers: String::new(),
        eyes: [(176.0, 256.0), (336.0, 256.0)],
        eye_scale: 0.95,
        mouth: (256.0, 388.0),
        mouth_w: 112.0,
        cheeks: [(140.0, 336.0), (372.0, 336.0)],
        mark: (400.0, 168.0),
        ink,
        neutral_mouth: Some(omega(362.0, 32.0, ink, 7.0)),
    }
}

fn bunny() -> Style {
    let ink = "#3A2A35";
    let edge = "#CDB4C5";
    let ear = |cx: f32, angle: f32| {
        format!(
            r##"<g transform="rotate({a} {c} 250)"><ellipse cx="{c}" cy="130" rx="50" ry="114" fill="#FFFFFF" stroke="{edge}" stroke-width="6"/><ellipse cx="{c}" cy="140" rx="26" ry="86" fill="#FFC4D6"/></g>"##,
            a = n(angle),
            c = n(cx)
        )
    };
    let mut whiskers = String::from(
        r##"<g fill="none" stroke="#B9A3B2" stroke-width="3.5" stroke-linecap="round">"##,
    );
    for (x0, y0, x1, y1) in [(172.0, 376.0, 72.0, 360.0), (172.0, 390.0, 70.0, 398.0)] {
        let _ = write!(
            whiskers,
            r##"<path d="M{},{} L{},{}"/><path d="M{},{} L{},{}"/>"##,
            n(x0),
            n(y0),
            n(x1),
            n(y1),
            n(mx(x0)),
            n(y0),
            n(mx(x1)),
            n(y1)
        );
    }
    whiskers.push_str("</g>");
    Style {
        back: format!("{}{}", ear(186.0, -12.0), ear(mx(186.0), 12.0)),
        head: r##"<ellipse cx="256" cy="326" rx="206" ry="176"/>"##.into(),
        fur: ["#FFFFFF", "#FBF2F7", "#E6D5E1"],
        outline: edge,
        decor: r##"<ellipse cx="146" cy="374" rx="36" ry="22" fill="#FFC4D6" opacity="0.75"/><ellipse cx="366" cy="374" rx="36" ry="22" fill="#FFC4D6" opacity="0.75"/>"##.into(),
        nose: format!(
            r##"<path d="M256,366 L256,380" stroke="{ink}" stroke-width="5" stroke-linecap="round"/><path d="M243,352 L269,352 Q273,354 269,359 L259,368 Q256,371 253,368 L243,359 Q239,354 243,352 Z" fill="#FF8FB1" stroke="#D9678C" stroke-width="3" stroke-linejoin="round"/>"##
        ),
        whiskers,
        eyes: [(182.0, 306.0), (330.0, 306.0)],
        eye_scale: 1.0,
        mouth: (256.0, 402.0),
        mouth_w: 100.0,
        cheeks: [(146.0, 374.0), (366.0, 374.0)],
        mark: (388.0, 222.0),
        ink,
        neutral_mouth: Some(format!(
            r##"<rect x="243" y="386" width="26" height="26" rx="5" fill="#FFFFFF" stroke="{ink}" stroke-width="4"/><path d="M256,387 L256,410" stroke="{ink}" stroke-width="3"/>{}"##,
            omega(380.0, 28.0, ink, 6.0)
        )),
    }
}

fn style(id: &str) -> Option<Style> {
    match id {
        "classic" => Some(classic()),
        "cat" => Some(cat()),
        "bear" => Some(bear()),
        "bunny" => Some(bunny()),
        _ => None,
    }
}

/// A tear-drop path centred on its round part at (0, 0), pointing up, radius `r`.
fn drop(x: f32, y: f32, r: f32) -> String {
    format!(
        r##"<g transform="translate({x} {y})"><path d="M0,{t} C{a},{b} {r},{c} {r},0 A{r},{r} 0 1 1 -{r},0 C-{r},{c} -{a},{b} 0,{t} Z" fill="{TEAR}" stroke="{TEAR_EDGE}" stroke-width="3" stroke-linejoin="round"/><ellipse cx="{hx}" cy="{hy}" rx="{hr}" ry="{hr2}" fill="#FFFFFF" opacity="0.8"/></g>"##,
        x = n(x),
        y = n(y),
        t = n(-2.3 * r),
        a = n(0.3 * r),
        b = n(-1.6 * r),
        c = n(-0.8 * r),
        r = n(r),
        hx = n(-0.35 * r),
        hy = n(-0.1 * r),
        hr = n(0.22 * r),
        hr2 = n(0.32 * r),
    )
}

fn eye(expr: &str, (cx, cy): (f32, f32), side: f32, s: f32, ink: &str) -> String {
    // `d` points from the eye towards the nose, so slants mirror between the two eyes.
    let d = -side;
    let p = |x: f32, y: f32| format!("{},{}", n(cx + x * s), n(cy + y * s));
    let pd = |x: f32, y: f32| format!("{},{}", n(cx + d * x * s), n(cy + y * s));
    let highlight = |x: f32, y: f32, r: f32| {
        format!(
            r##"<circle cx="{}" cy="{}" r="{}" fill="#FFFFFF"/>"##,
            n(cx + x * s),
            n(cy + y * s),
            n(r * s)
        )
    };
    let w = |v: f32| n(v * s);
    match expr {
        "happy" => format!(
            r##"<path d="M{} Q{} {}" fill="none" stroke="{ink}" stroke-width="{}" stroke-linecap="round"/>"##,
            p(-28.0, 10.0),
            p(0.0, -30.0),
            p(28.0, 10.0),
            w(12.0)
        ),
        // Big glossy eyes with tears pooling on the lower lid.
        "sad" => format!(
            r##"<ellipse cx="{}" cy="{}" rx="{}" ry="{}" fill="{ink}"/>{}{}<path d="M{} Q{} {}" fill="none" stroke="{TEAR}" stroke-width="{}" stroke-linecap="round"/>"##,
            n(cx),
            n(cy + 4.0 * s),
            w(20.0),
            w(26.0),
            highlight(6.0, -5.0, 8.5),
            highlight(-6.0, 14.0, 4.0),
            p(-22.0, 26.0),
            p(0.0, 42.0),
            p(22.0, 26.0),
            w(7.0)
        ),
        "angry" => format!(
            r##"<path d="M{} L{} Q{} {} Q{} {} Z" fill="{ink}"/>{}"##,
            pd(-24.0, -12.0),
            pd(24.0, 6.0),
            pd(24.0, 28.0),
            pd(0.0, 28.0),
            pd(-24.0, 28.0),
            pd(-24.0, -12.0),
            highlight(-d * 8.0, 10.0, 4.5)
        ),
        "surprise" => format!(
            r##"<ellipse cx="{}" cy="{}" rx="{}" ry="{}" fill="#FFFFFF" stroke="{ink}" stroke-width="{}"/><circle cx="{}" cy="{}" r="{}" fill="{ink}"/>{}"##,
            n(cx),
            n(cy),
            w(30.0),
            w(36.0),
            w(6.0),
            n(cx),
            n(cy + 2.0 * s),
            w(14.0),
            highlight(5.0, -4.0, 5.0)
        ),
        "fear" => format!(
            r##"<ellipse cx="{}" cy="{}" rx="{}" ry="{}" fill="#FFFFFF" stroke="{ink}" stroke-width="{}"/><circle cx="{}" cy="{}" r="{}" fill="{ink}"/>"##,
            n(cx),
            n(cy),
            w(27.0),
            w(33.0),
            w(6.0),
            n(cx),
            n(cy + 6.0 * s),
            w(7.5)
        ),
        "disgust" => {
            // Heavy upper lids over half-hidden pupils: the "ugh" look.
            format!(
                r##"<path d="M{} A{},{} 0 0 0 {} Z" fill="{ink}"/><path d="M{} L{}" stroke="{ink}" stroke-width="{}" stroke-linecap="round"/>"##,
                p(-21.0, 2.0),
                w(21.0),
                w(19.0),
                p(21.0, 2.0),
                p(-30.0, 0.0),
                p(30.0, 0.0),
                w(9.0)
            )
        }
        _ => format!(
            r##"<ellipse cx="{}" cy="{}" rx="{}" ry="{}" fill="{ink}"/>{}"##,
            n(cx),
            n(cy),
            w(18.0),
            w(26.0),
            highlight(6.0, -9.0, 6.0)
        ),
    }
}

fn brow(expr: &str, (cx, cy): (f32, f32), side: f32, s: f32, ink: &str) -> String {
    let d = -side;
    let pd = |x: f32, y: f32| format!("{},{}", n(cx + d * x * s), n(cy + y * s));
    let path = |d: String, width: f32| {
        format!(
            r##"<path d="{d}" fill="none" stroke="{ink}" stroke-width="{}" stroke-linecap="round"/>"##,
            n(width * s)
        )
    };
    match expr {
        "sad" => path(
            format!(
                "M{} Q{} {}",
                pd(-30.0, -44.0),
                pd(0.0, -50.0),
                pd(28.0, -66.0)
            ),
            11.0,
        ),
        "angry" => path(format!("M{} L{}", pd(-32.0, -68.0), pd(30.0, -38.0)), 14.0),
        "surprise" => path(
            format!(
                "M{} Q{} {}",
                pd(-30.0, -62.0),
                pd(0.0, -92.0),
                pd(30.0, -62.0)
            ),
            11.0,
        ),
        "fear" => path(
            format!(
                "M{} Q{} {}",
                pd(-30.0, -58.0),
                pd(0.0, -64.0),
                pd(28.0, -84.0)
            ),
            11.0,
        ),
        "disgust" if side < 0.0 => {
            path(format!("M{} L{}", pd(-32.0, -50.0), pd(30.0, -36.0)), 12.0)
        }
        "disgust" => path(
            format!(
                "M{} Q{} {}",
                pd(-32.0, -62.0),
                pd(0.0, -82.0),
                pd(30.0, -64.0)
            ),
            12.0,
        ),
        _ => String::new(),
    }
}

fn mouth(expr: &str, st: &Style) -> String {
    let (x, y) = st.mouth;
    let w = st.mouth_w;
    let ink = st.ink;
    let s = st.eye_scale;
    let sw = n(6.0 * s.max(0.9));
    let p = |dx: f32, dy: f32| format!("{},{}", n(x + dx * w), n(y + dy * w));
    match expr {
        "happy" => {
            let y0 = -0.08;
            let shape = format!(
                "M{} Q{} {} C{} {} {} Z",
                p(-0.5, y0),
                p(0.0, y0 + 0.07),
                p(0.5, y0),
                p(0.46, y0 + 0.66),
                p(-0.46, y0 + 0.66),
                p(-0.5, y0)
            );
            format!(
                r##"<defs><clipPath id="mouth"><path d="{shape}"/></clipPath></defs><path d="{shape}" fill="{MOUTH}"/><g clip-path="url(#mouth)"><ellipse cx="{tx}" cy="{ty}" rx="{trx}" ry="{try_}" fill="{TONGUE}"/><rect x="{rx}" y="{ry}" width="{rw}" height="{rh}" fill="#FFFFFF"/></g><path d="{shape}" fill="none" stroke="{ink}" stroke-width="{sw}" stroke-linejoin="round"/>"##,
                tx = n(x),
                ty = n(y + (y0 + 0.5) * w),
                trx = n(0.26 * w),
                try_ = n(0.15 * w),
                rx = n(x - 0.5 * w),
                ry = n(y + (y0 - 0.1) * w),
                rw = n(w),
                rh = n(0.22 * w),
            )
        }
        "sad" => format!(
            r##"<path d="M{} Q{} {}" fill="none" stroke="{ink}" stroke-width="{}" stroke-linecap="round"/>"##,
            p(-0.34, 0.14),
            p(0.0, -0.2),
            p(0.34, 0.14),
            n(12.0 * s)
        ),
        "angry" => format!(
            r##"<path d="M{} Q{} {} Q{} {} Z" fill="{MOUTH}" stroke="{ink}" stroke-width="{sw}" stroke-linejoin="round"/>"##,
            p(-0.32, 0.14),
            p(0.0, -0.24),
            p(0.32, 0.14),
            p(0.0, 0.02),
            p(-0.32, 0.14)
        ),
        "surprise" => format!(
            r##"<ellipse cx="{}" cy="{}" rx="{}" ry="{}" fill="{MOUTH}" stroke="{ink}" stroke-width="{sw}"/><ellipse cx="{}" cy="{}" rx="{}" ry="{}" fill="{TONGUE}" opacity="0.7"/>"##,
            n(x),
            n(y + 0.06 * w),
            n(0.15 * w),
            n(0.2 * w),
            n(x),
            n(y + 0.18 * w),
            n(0.09 * w),
            n(0.05 * w)
        ),
        "fear" => {
            // A clenched grimace: two rows of teeth.
            let (l, r, t, b) = (x - 0.32 * w, x + 0.32 * w, y - 0.1 * w, y + 0.12 * w);
            let mut teeth = String::new();
            for k in 1..4 {
                let tx = l + (r - l) * k as f32 / 4.0;
                let _ = write!(teeth, "M{},{} L{},{} ", n(tx), n(t), n(tx), n(b));
            }
            format!(
                r##"<rect x="{}" y="{}" width="{}" height="{}" rx="{}" fill="#FFFFFF" stroke="{ink}" stroke-width="{sw}"/><path d="M{},{} L{},{} {teeth}" stroke="{ink}" stroke-width="{}" fill="none"/>"##,
                n(l),
                n(t),
                n(r - l),
                n(b - t),
                n(0.08 * w),
                n(l),
                n((t + b) / 2.0),
                n(r),
                n((t + b) / 2.0),
                n(3.5 * s.max(0.9))
            )
        }
        "disgust" => {
            // Wavy grimace with the tongue poking out of one corner: "bleh".
            let tongue = format!(
                r##"<path d="M{} L{} Q{} {} L{} Z" fill="{TONGUE}" stroke="{ink}" stroke-width="{}" stroke-linejoin="round"/><path d="M{} L{}" stroke="#D9546A" stroke-width="3" stroke-linecap="round"/>"##,
                p(0.03, 0.0),
                p(0.03, 0.16),
                p(0.14, 0.36),
                p(0.25, 0.16),
                p(0.25, 0.0),
                n(4.0 * s.max(0.9)),
                p(0.14, 0.04),
                p(0.14, 0.2)
            );
            let wave = format!(
                r##"<path d="M{} Q{} {} T{} T{} T{}" fill="none" stroke="{ink}" stroke-width="{}" stroke-linecap="round" stroke-linejoin="round"/>"##,
                p(-0.32, 0.02),
                p(-0.24, -0.08),
                p(-0.16, 0.02),
                p(0.0, 0.02),
                p(0.16, 0.02),
                p(0.32, 0.02),
                n(10.0 * s.max(0.9))
            );
            format!("{tongue}{wave}")
        }
        _ => match &st.neutral_mouth {
            Some(m) => m.clone(),
            None => format!(
                r##"<path d="M{} L{}" stroke="{ink}" stroke-width="{}" stroke-linecap="round"/>"##,
                p(-0.28, 0.0),
                p(0.28, 0.0),
                n(12.0 * s)
            ),
        },
    }
}

/// A colour wash over the head: red for anger, green for disgust, blue for fear.
fn tint(expr: &str) -> Option<(&'static str, bool, f32, f32)> {
    // (colour, strong at the top?, opacity at the strong end, where along the head it fades out)
    match expr {
        "angry" => Some(("#F0462E", true, 0.85, 0.78)),
        "disgust" => Some(("#74B532", false, 0.95, 0.9)),
        "fear" => Some(("#4257E0", true, 0.95, 0.55)),
        _ => None,
    }
}

fn anger_mark((x, y): (f32, f32)) -> String {
    format!(
        r##"<g transform="translate({} {}) scale(1.25)" fill="none" stroke="#E53935" stroke-width="8" stroke-linecap="round"><path d="M-24,-7 Q-7,-7 -7,-24"/><path d="M7,-24 Q7,-7 24,-7"/><path d="M24,7 Q7,7 7,24"/><path d="M-7,24 Q-7,7 -24,7"/></g>"##,
        n(x),
        n(y)
    )
}

/// The SVG of one style and expression, or None for an unknown name.
pub fn svg(style_id: &str, expr: &str) -> Option<String> {
    if !EXPRESSIONS.contains(&expr) {
        return None;
    }
    let st = style(style_id)?;
    let mut o = String::new();
    let _ = write!(
        o,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512" width="512" height="512">"##
    );
    let _ = write!(
        o,
        "<!-- Moji {style_id} / {expr}: generated by templates/art.rs -->"
    );
    let _ = write!(
        o,
        r##"<defs><radialGradient id="fur" cx="0.42" cy="0.36" r="0.72"><stop offset="0" stop-color="{}"/><stop offset="0.6" stop-color="{}"/><stop offset="1" stop-color="{}"/></radialGradient>"##,
        st.fur[0], st.fur[1], st.fur[2]
    );
    if let Some((colour, from_top, op, fade)) = tint(expr) {
        let (y1, y2) = if from_top { ("0", "1") } else { ("1", "0") };
        let _ = write!(
            o,
            r##"<linearGradient id="tint" x1="0" y1="{y1}" x2="0" y2="{y2}"><stop offset="0" stop-color="{colour}" stop-opacity="{op}"/><stop offset="{fade}" stop-color="{colour}" stop-opacity="0"/></linearGradient>"##
        );
    }
    o.push_str("</defs>");
    o.push_str(&st.back);
    let _ = write!(o, r##"<g fill="url(#fur)">{}</g>"##, st.head);
    o.push_str(&st.decor);
    if tint(expr).is_some() {
        // The head shape filled again with the tint gradient: same look as clipping a
        // full-canvas wash to the head, at less than half the rasterisation cost.
        let _ = write!(o, r##"<g fill="url(#tint)">{}</g>"##, st.head);
    }
    let _ = write!(
        o,
        r##"<g fill="none" stroke="{}" stroke-width="6">{}</g>"##,
        st.outline, st.head
    );
    if expr == "happy" {
        for (cx, cy) in st.cheeks {
            let _ = write!(
                o,
                r##"<ellipse cx="{}" cy="{}" rx="{}" ry="{}" fill="{BLUSH}" opacity="0.45"/>"##,
                n(cx),
                n(cy),
                n(32.0 * st.eye_scale),
                n(19.0 * st.eye_scale)
            );
        }
    }
    for (i, &e) in st.eyes.iter().enumerate() {
        let side = if i == 0 { -1.0 } else { 1.0 };
        o.push_str(&brow(expr, e, side, st.eye_scale, st.ink));
        o.push_str(&eye(expr, e, side, st.eye_scale, st.ink));
    }
    o.push_str(&st.whiskers);
    o.push_str(&st.nose);
    o.push_str(&mouth(expr, &st));
    match expr {
        "sad" => {
            // A tear trail running from the left eye down the cheek, ending in a drop.
            let (ex, ey) = st.eyes[0];
            let k = st.eye_scale;
            let _ = write!(
                o,
                r##"<path d="M{},{} Q{},{} {},{}" fill="none" stroke="{TEAR}" stroke-width="{}" stroke-linecap="round" opacity="0.75"/>"##,
                n(ex - 10.0 * k),
                n(ey + 36.0 * k),
                n(ex - 16.0 * k),
                n(ey + 56.0 * k),
                n(ex - 14.0 * k),
                n(ey + 70.0 * k),
                n(9.0 * k)
            );
            o.push_str(&drop(ex - 14.0 * k, ey + 84.0 * k, 17.0 * k));
        }
        "fear" => o.push_str(&drop(st.mark.0, st.mark.1 + 10.0, 20.0)),
        "angry" => o.push_str(&anger_mark(st.mark)),
        _ => {}
    }
    o.push_str("</svg>\n");
    Some(o)
}
