#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The embedded SVG files are exactly what `templates/art.rs` generates, so nobody edits one
//! without the other. Fix with `cargo run -p moji-render --example gen_templates`.

#[path = "../templates/art.rs"]
#[allow(dead_code)]
mod art;

use moji_render::{svg_source, template_ids, Expression};

#[test]
fn embedded_files_match_the_generator() {
    assert_eq!(template_ids().collect::<Vec<_>>(), art::STYLES);
    for style in art::STYLES {
        for (e, name) in Expression::ALL.into_iter().zip(art::EXPRESSIONS) {
            assert_eq!(e.as_str(), name);
            let generated = art::svg(style, name).unwrap();
            assert!(
                svg_source(style, e) == Some(generated.as_str()),
                "templates/{style}/{name}.svg is stale: run \
                 `cargo run -p moji-render --example gen_templates`"
            );
        }
    }
}
