//! How far a sample is from the input (SSIM) and how varied a set is (mean pairwise 1 − SSIM).

use image::RgbImage;

/// Luma in [0, 1].
fn luma(image: &RgbImage) -> Vec<f64> {
    image
        .pixels()
        .map(|p| {
            (0.299 * f64::from(p[0]) + 0.587 * f64::from(p[1]) + 0.114 * f64::from(p[2])) / 255.0
        })
        .collect()
}

/// Mean SSIM of the luma of two images of one size over 8×8 windows (stride 4); 1.0 for
/// identical images, near 0 for unrelated ones.
pub fn ssim(a: &RgbImage, b: &RgbImage) -> f64 {
    if a.dimensions() != b.dimensions() {
        return 0.0;
    }
    let (w, h) = (a.width() as usize, a.height() as usize);
    let (la, lb) = (luma(a), luma(b));
    let (c1, c2) = (0.01f64.powi(2), 0.03f64.powi(2));
    let win = 8.min(w).min(h);
    let mut total = 0.0;
    let mut windows = 0usize;
    let mut y = 0;
    while y + win <= h {
        let mut x = 0;
        while x + win <= w {
            let n = (win * win) as f64;
            let (mut ma, mut mb) = (0.0, 0.0);
            for yy in y..y + win {
                for xx in x..x + win {
                    ma += la[yy * w + xx];
                    mb += lb[yy * w + xx];
                }
            }
            ma /= n;
            mb /= n;
            let (mut va, mut vb, mut cov) = (0.0, 0.0, 0.0);
            for yy in y..y + win {
                for xx in x..x + win {
                    let (da, db) = (la[yy * w + xx] - ma, lb[yy * w + xx] - mb);
                    va += da * da;
                    vb += db * db;
                    cov += da * db;
                }
            }
            va /= n - 1.0;
            vb /= n - 1.0;
            cov /= n - 1.0;
            total += ((2.0 * ma * mb + c1) * (2.0 * cov + c2))
                / ((ma * ma + mb * mb + c1) * (va + vb + c2));
            windows += 1;
            x += 4;
        }
        y += 4;
    }
    if windows == 0 {
        0.0
    } else {
        total / windows as f64
    }
}

/// The mean pairwise diversity of a set: the mean of `1 − SSIM` over every pair of samples.
/// 0 for a set of copies; the larger, the more the samples differ from one another.
pub fn diversity(samples: &[RgbImage]) -> f64 {
    let mut total = 0.0;
    let mut pairs = 0usize;
    for (i, a) in samples.iter().enumerate() {
        for b in &samples[i + 1..] {
            total += 1.0 - ssim(a, b);
            pairs += 1;
        }
    }
    if pairs == 0 {
        0.0
    } else {
        total / pairs as f64
    }
}
