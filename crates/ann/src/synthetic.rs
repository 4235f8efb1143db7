//! Seeded synthetic unit vectors for tests and benchmarks: a mixture of Gaussian clusters on the
//! sphere, so neighbourhoods look like an embedding model's (topics) rather than uniform noise.

/// SplitMix64: a small, fast, seedable generator (not for anything secret).
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
    spare: Option<f32>,
}

impl Rng {
    /// A generator whose whole stream is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Rng {
            state: seed,
            spare: None,
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() as u128 * n as u128) >> 64) as usize
    }

    /// Standard normal (Box–Muller, the second value kept for the next call).
    pub fn normal(&mut self) -> f32 {
        if let Some(x) = self.spare.take() {
            return x;
        }
        let u1 = 1.0 - self.uniform(); // (0, 1]: ln is finite
        let u2 = self.uniform();
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
        self.spare = Some((r * s) as f32);
        (r * c) as f32
    }
}

/// Normalises `v` to unit length in place (the zero vector stays zero).
pub fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Clusters on the unit sphere, each with its own spread; samples are centre + noise, normalised.
#[derive(Debug, Clone)]
pub struct Mixture {
    dim: usize,
    centres: Vec<f32>,
    /// Per cluster: the noise's expected length relative to the (unit) centre.
    spreads: Vec<f32>,
}

impl Mixture {
    /// `clusters` centres uniform on the sphere, spreads uniform in `spread` (e.g. 0.6..1.0).
    pub fn new(dim: usize, clusters: usize, spread: std::ops::Range<f32>, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let clusters = clusters.max(1);
        let mut centres = vec![0.0f32; dim * clusters];
        for centre in centres.chunks_exact_mut(dim.max(1)) {
            centre.iter_mut().for_each(|x| *x = rng.normal());
            normalise(centre);
        }
        let spreads = (0..clusters)
            .map(|_| spread.start + (spread.end - spread.start) * rng.uniform() as f32)
            .collect();
        Mixture {
            dim,
            centres,
            spreads,
        }
    }

    /// The vector length.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The number of clusters.
    pub fn clusters(&self) -> usize {
        self.spreads.len()
    }

    /// Writes one sample into `out` (`dim` long); gives its cluster.
    pub fn sample(&self, rng: &mut Rng, out: &mut [f32]) -> usize {
        let c = rng.below(self.spreads.len());
        let scale = self.spreads[c] / (self.dim as f32).sqrt();
        let centre = &self.centres[c * self.dim..(c + 1) * self.dim];
        for (o, m) in out.iter_mut().zip(centre) {
            *o = m + scale * rng.normal();
        }
        normalise(out);
        c
    }

    /// `count` samples back to back, made by `threads` threads; the same for any thread count
    /// (each block of 4,096 samples has its own stream, derived from `seed`).
    pub fn samples(&self, count: usize, seed: u64, threads: usize) -> Vec<f32> {
        const BLOCK: usize = 4096;
        let dim = self.dim;
        let mut out = vec![0.0f32; count * dim];
        let blocks: Vec<(usize, &mut [f32])> = out.chunks_mut(BLOCK * dim).enumerate().collect();
        let per_thread = blocks.len().div_ceil(threads.max(1)).max(1);
        let mut groups: Vec<Vec<(usize, &mut [f32])>> = Vec::new();
        let mut blocks = blocks.into_iter().peekable();
        while blocks.peek().is_some() {
            groups.push(blocks.by_ref().take(per_thread).collect());
        }
        std::thread::scope(|s| {
            for group in groups {
                s.spawn(move || {
                    for (b, block) in group {
                        let mut rng =
                            Rng::new(seed ^ (b as u64).wrapping_mul(0xa076_1d64_78bd_642f));
                        for v in block.chunks_exact_mut(dim) {
                            self.sample(&mut rng, v);
                        }
                    }
                });
            }
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_unit_seeded_and_clustered() {
        let m = Mixture::new(64, 8, 0.5..0.7, 1);
        let a = m.samples(5000, 2, 1);
        let b = m.samples(5000, 2, 3);
        assert_eq!(a, b, "the thread count does not change the samples");
        assert_ne!(a, m.samples(5000, 3, 1));
        for v in a.chunks_exact(64) {
            let n: f32 = v.iter().map(|x| x * x).sum();
            assert!((n - 1.0).abs() < 1e-4);
        }
        // Two samples of one cluster are far closer than two of different clusters.
        let mut rng = Rng::new(9);
        let (mut x, mut y) = (vec![0.0; 64], vec![0.0; 64]);
        let cx = m.sample(&mut rng, &mut x);
        let (mut same, mut other) = (None, None);
        while same.is_none() || other.is_none() {
            let c = m.sample(&mut rng, &mut y);
            let cos: f32 = x.iter().zip(&y).map(|(a, b)| a * b).sum();
            if c == cx {
                same.get_or_insert(cos);
            } else {
                other.get_or_insert(cos);
            }
        }
        assert!(
            same.unwrap_or(0.0) > 0.5 && other.unwrap_or(1.0) < 0.5,
            "{same:?} {other:?}"
        );
    }
}
