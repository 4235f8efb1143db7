//! Rewrites `templates/<style>/<expression>.svg` from `templates/art.rs`.
//!
//! Usage: `cargo run -p moji-render --example gen_templates`

#[path = "../templates/art.rs"]
mod art;

use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    for style in art::STYLES {
        std::fs::create_dir_all(root.join(style))?;
        for expr in art::EXPRESSIONS {
            let svg = art::svg(style, expr).ok_or("unknown style or expression")?;
            std::fs::write(root.join(style).join(format!("{expr}.svg")), svg)?;
        }
    }
    println!(
        "wrote {} files under {}",
        art::STYLES.len() * art::EXPRESSIONS.len(),
        root.display()
    );
    Ok(())
}
