//! Zodiac look-alike: which of the twelve animals a face resembles.
//!
//! The vision crate measures [`FaceFeatures`]; here they are normalised into a 13-dimensional
//! vector and compared against one hand-written *prototype* per animal. The prototypes encode
//! the folk physiognomy people already associate with each animal (a tiger's upturned, sharp
//! eyes; a rabbit's big, high eyes; a pig's happy, soft, round face …), so the result is
//! explainable: the [`Reason`]s name the features that decided it. It is an entertainment
//! feature, not a trained classifier, and the table is meant to be tuned by hand.
//!
//! # Normalisation
//!
//! Geometry is expressed in "how unusual" units where 0 is a typical face and ±1 is notably
//! so, clamped to ±2 so that one odd measurement cannot dominate:
//!
//! | dim | formula | + means |
//! |---|---|---|
//! | spacing | (eye_spacing − 0.40) / 0.05 | eyes set wide apart |
//! | size | (eye_size − 0.22) / 0.04 | big eyes |
//! | height | (0.38 − eye_height) / 0.04 | eyes sit high on the face |
//! | tilt | (\|eye_tilt_deg\| − 4) / 4 | slanted eye line |
//! | bright | (brightness − 0.50) / 0.15 | bright, light face |
//! | edges | (edge_density − 0.12) / 0.05 | strong, sharply defined features |
//! | angry … neutral | expression probability, 0..1 | that expression |
//!
//! When `eyes_found` is false the four eye dimensions get weight 0, since they then hold
//! population means rather than measurements.
//!
//! # Prototype table
//!
//! Weights: spacing 1.0, size 1.0, height 0.8, tilt 0.6 (the eye line also moves with head
//! roll, so it is trusted less), bright 0.3 (mostly lighting), edges 0.8, each expression 4.0
//! (probabilities span 0..1, so they need a larger weight to count as much as geometry).
//! Score of animal *a* = softmax over animals of −Σᵢ wᵢ (xᵢ − pₐᵢ)² / T with T = 1.5.
//!
//! <!-- prototype-table:start -->
//! | animal | spacing | size | height | tilt | bright | edges | angry | disgust | fear | happy | sad | surprise | neutral |
//! |---|---|---|---|---|---|---|---|---|---|---|---|---|---|
//! | rat (쥐) | -1.00 | -0.80 | 0.50 | 0.00 | 0.30 | 0.40 | 0.00 | 0.00 | 0.10 | 0.20 | 0.00 | 0.30 | 0.40 |
//! | ox (소) | 0.80 | 0.80 | -1.00 | -0.60 | -0.30 | -0.40 | 0.00 | 0.00 | 0.00 | 0.10 | 0.20 | 0.00 | 0.70 |
//! | tiger (호랑이) | -0.60 | -0.50 | 0.00 | 1.50 | 0.00 | 1.20 | 0.60 | 0.10 | 0.00 | 0.00 | 0.00 | 0.00 | 0.30 |
//! | rabbit (토끼) | 0.20 | 1.30 | 1.20 | -0.30 | 0.40 | -0.80 | 0.00 | 0.00 | 0.35 | 0.10 | 0.00 | 0.45 | 0.10 |
//! | dragon (용) | 1.00 | 0.40 | -0.40 | 1.00 | 0.20 | 1.00 | 0.35 | 0.00 | 0.00 | 0.00 | 0.00 | 0.20 | 0.45 |
//! | snake (뱀) | -0.40 | -1.40 | 0.00 | 0.60 | -0.30 | 0.30 | 0.10 | 0.35 | 0.00 | 0.00 | 0.00 | 0.00 | 0.55 |
//! | horse (말) | 0.30 | 0.00 | 0.90 | 0.00 | 0.20 | 0.50 | 0.00 | 0.00 | 0.00 | 0.50 | 0.00 | 0.20 | 0.30 |
//! | goat (양) | -0.20 | -0.20 | 0.30 | -0.90 | 0.40 | -0.70 | 0.00 | 0.00 | 0.00 | 0.15 | 0.35 | 0.00 | 0.50 |
//! | monkey (원숭이) | 1.40 | 0.40 | 0.00 | 0.00 | -0.30 | 0.40 | 0.00 | 0.00 | 0.00 | 0.45 | 0.00 | 0.45 | 0.10 |
//! | rooster (닭) | -0.20 | 0.20 | 0.60 | 0.40 | 0.80 | 0.90 | 0.20 | 0.00 | 0.00 | 0.20 | 0.00 | 0.30 | 0.30 |
//! | dog (개) | 0.00 | 0.70 | -0.30 | -0.70 | 0.10 | 0.00 | 0.00 | 0.00 | 0.00 | 0.60 | 0.20 | 0.00 | 0.20 |
//! | pig (돼지) | 0.60 | -0.70 | -0.90 | -0.40 | 0.60 | -1.00 | 0.00 | 0.00 | 0.00 | 0.85 | 0.00 | 0.00 | 0.15 |
//! <!-- prototype-table:end -->

use serde::Serialize;

use crate::face::{Expression, FaceFeatures};
use crate::zodiac::AnimalId;

/// Number of dimensions of the normalised feature vector.
const DIMS: usize = 13;

/// Softmax temperature: larger spreads the scores, smaller makes the winner take all.
pub const TEMPERATURE: f32 = 1.5;

/// One dimension of the normalised feature vector; names the feature behind a [`Reason`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Feature {
    /// Distance between the eyes.
    EyeSpacing,
    /// Eye size.
    EyeSize,
    /// How high the eyes sit.
    EyeHeight,
    /// Slant of the eye line.
    EyeTilt,
    /// Brightness of the face.
    Brightness,
    /// Strength of the facial lines.
    EdgeDensity,
    /// Probability of an angry expression.
    Angry,
    /// Probability of a disgusted expression.
    Disgust,
    /// Probability of a fearful expression.
    Fear,
    /// Probability of a happy expression.
    Happy,
    /// Probability of a sad expression.
    Sad,
    /// Probability of a surprised expression.
    Surprise,
    /// Probability of a neutral expression.
    Neutral,
    /// No single feature stood out; the overall impression decided.
    Overall,
}

impl Feature {
    /// Dimensions in vector order (without [`Feature::Overall`]).
    pub const DIMS: [Feature; DIMS] = [
        Feature::EyeSpacing,
        Feature::EyeSize,
        Feature::EyeHeight,
        Feature::EyeTilt,
        Feature::Brightness,
        Feature::EdgeDensity,
        Feature::Angry,
        Feature::Disgust,
        Feature::Fear,
        Feature::Happy,
        Feature::Sad,
        Feature::Surprise,
        Feature::Neutral,
    ];

    /// Short column name used in the documented table.
    pub fn short_name(self) -> &'static str {
        match self {
            Feature::EyeSpacing => "spacing",
            Feature::EyeSize => "size",
            Feature::EyeHeight => "height",
            Feature::EyeTilt => "tilt",
            Feature::Brightness => "bright",
            Feature::EdgeDensity => "edges",
            Feature::Angry => "angry",
            Feature::Disgust => "disgust",
            Feature::Fear => "fear",
            Feature::Happy => "happy",
            Feature::Sad => "sad",
            Feature::Surprise => "surprise",
            Feature::Neutral => "neutral",
            Feature::Overall => "overall",
        }
    }

    /// Whether this is one of the four eye-geometry dimensions.
    fn is_eye(self) -> bool {
        matches!(
            self,
            Feature::EyeSpacing | Feature::EyeSize | Feature::EyeHeight | Feature::EyeTilt
        )
    }

    /// Whether this is an expression probability.
    fn is_expression(self) -> bool {
        !self.is_eye() && !matches!(self, Feature::Brightness | Feature::EdgeDensity)
    }
}

/// A plain-words explanation of why the face matched.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    /// The feature that pointed at the animal.
    pub feature: Feature,
    /// Korean sentence.
    pub text_ko: String,
    /// English sentence.
    pub text_en: String,
}

/// Result of [`classify`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LookAlike {
    /// The best-matching animal.
    pub animal: AnimalId,
    /// Probability-like score of every animal, in [`AnimalId::ALL`] order, summing to 1.
    pub scores: [(AnimalId, f32); 12],
    /// Up to three reasons, strongest first; never empty.
    pub reasons: Vec<Reason>,
}

impl LookAlike {
    /// Score of one animal.
    pub fn score(&self, animal: AnimalId) -> f32 {
        self.scores[animal.index()].1
    }

    /// Animals sorted by score, best first (ties keep traditional order).
    pub fn ranked(&self) -> Vec<(AnimalId, f32)> {
        let mut v = self.scores.to_vec();
        v.sort_by(|a, b| b.1.total_cmp(&a.1));
        v
    }
}

/// Weight of each dimension in the distance, in [`Feature::DIMS`] order.
const WEIGHTS: [f32; DIMS] = [
    1.0, 1.0, 0.8, 0.6, 0.3, 0.8, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0,
];

/// Prototype of each animal in [`AnimalId::ALL`] order; columns in [`Feature::DIMS`] order.
/// Expression columns of a row sum to 1 so a prototype is itself a plausible measurement.
#[rustfmt::skip]
const PROTOTYPES: [[f32; DIMS]; 12] = [
    //  spacing size height tilt bright edges | angry disg  fear happy  sad  surpr neutral
    // rat: small, close-set, high eyes; bright and alert, a little startled.
    [-1.0, -0.8,  0.5,  0.0,  0.3,  0.4,   0.00, 0.00, 0.10, 0.20, 0.00, 0.30, 0.40],
    // ox: big, wide-set, low and level eyes; soft, calm, a touch melancholy.
    [ 0.8,  0.8, -1.0, -0.6, -0.3, -0.4,   0.00, 0.00, 0.00, 0.10, 0.20, 0.00, 0.70],
    // tiger: upturned, smallish, close-set eyes; strong lines; fierce or composed.
    [-0.6, -0.5,  0.0,  1.5,  0.0,  1.2,   0.60, 0.10, 0.00, 0.00, 0.00, 0.00, 0.30],
    // rabbit: big eyes set high; soft lines; surprised or timid.
    [ 0.2,  1.3,  1.2, -0.3,  0.4, -0.8,   0.00, 0.00, 0.35, 0.10, 0.00, 0.45, 0.10],
    // dragon: wide-set, slanted eyes; bold lines; commanding, sometimes astonished.
    [ 1.0,  0.4, -0.4,  1.0,  0.2,  1.0,   0.35, 0.00, 0.00, 0.00, 0.00, 0.20, 0.45],
    // snake: narrow, slightly slanted eyes; cool and unimpressed.
    [-0.4, -1.4,  0.0,  0.6, -0.3,  0.3,   0.10, 0.35, 0.00, 0.00, 0.00, 0.00, 0.55],
    // horse: eyes high on a long face; defined lines; cheerful and lively.
    [ 0.3,  0.0,  0.9,  0.0,  0.2,  0.5,   0.00, 0.00, 0.00, 0.50, 0.00, 0.20, 0.30],
    // goat: smallish, level, gentle eyes set a little high; soft lines; calm, a little wistful.
    [-0.2, -0.2,  0.3, -0.9,  0.4, -0.7,   0.00, 0.00, 0.00, 0.15, 0.35, 0.00, 0.50],
    // monkey: very wide-set eyes; playful: surprised or laughing.
    [ 1.4,  0.4,  0.0,  0.0, -0.3,  0.4,   0.00, 0.00, 0.00, 0.45, 0.00, 0.45, 0.10],
    // rooster: high, alert eyes; bright with crisp lines; proud and expressive.
    [-0.2,  0.2,  0.6,  0.4,  0.8,  0.9,   0.20, 0.00, 0.00, 0.20, 0.00, 0.30, 0.30],
    // dog: big, level eyes; friendly and happy, with a puppy's sad eyes.
    [ 0.0,  0.7, -0.3, -0.7,  0.1,  0.0,   0.00, 0.00, 0.00, 0.60, 0.20, 0.00, 0.20],
    // pig: small, low, wide-set eyes; bright, round, soft face; beaming.
    [ 0.6, -0.7, -0.9, -0.4,  0.6, -1.0,   0.00, 0.00, 0.00, 0.85, 0.00, 0.00, 0.15],
];

/// Clamp for geometry dimensions, in normalised units.
const GEOMETRY_LIMIT: f32 = 2.0;

/// Normalisation centre and scale of the six geometric dimensions, in [`Feature::DIMS`] order.
/// `height` is inverted (centre − value) so that + means "higher on the face".
const CENTRE: [f32; 6] = [0.40, 0.22, 0.38, 4.0, 0.50, 0.12];
const SCALE: [f32; 6] = [0.05, 0.04, -0.04, 4.0, 0.15, 0.05];

/// Turns a NaN or infinity from a failed measurement into the typical value (0) instead of
/// letting it poison every distance.
fn finite_or(x: f32, fallback: f32) -> f32 {
    if x.is_finite() {
        x
    } else {
        fallback
    }
}

/// The normalised feature vector of `f`.
pub fn normalise(f: &FaceFeatures) -> [f32; DIMS] {
    let raw = [
        f.eye_spacing,
        f.eye_size,
        f.eye_height,
        f.eye_tilt_deg.abs(),
        f.brightness,
        f.edge_density,
    ];
    let mut v = [0.0; DIMS];
    for i in 0..6 {
        let z = (finite_or(raw[i], CENTRE[i]) - CENTRE[i]) / SCALE[i];
        v[i] = z.clamp(-GEOMETRY_LIMIT, GEOMETRY_LIMIT);
    }
    for e in Expression::ALL {
        v[6 + e.index()] = finite_or(f.expression[e.index()], 0.0).clamp(0.0, 1.0);
    }
    v
}

/// Inverse of [`normalise`] for vectors inside the clamp range; lets tests and demos build a
/// face that sits exactly on a prototype.
pub fn denormalise(v: &[f32; DIMS]) -> FaceFeatures {
    let g = |i: usize| CENTRE[i] + v[i] * SCALE[i];
    let mut expression = [0.0; 7];
    expression.copy_from_slice(&v[6..]);
    FaceFeatures {
        eyes_found: true,
        eye_spacing: g(0),
        eye_size: g(1),
        eye_height: g(2),
        eye_tilt_deg: g(3).max(0.0),
        brightness: g(4),
        edge_density: g(5),
        expression,
    }
}

/// The prototype vector of an animal (normalised units).
pub fn prototype(animal: AnimalId) -> &'static [f32; DIMS] {
    &PROTOTYPES[animal.index()]
}

fn weights(f: &FaceFeatures) -> [f32; DIMS] {
    let mut w = WEIGHTS;
    if !f.eyes_found {
        for (wi, dim) in w.iter_mut().zip(Feature::DIMS) {
            if dim.is_eye() {
                *wi = 0.0;
            }
        }
    }
    w
}

/// Classifies a face. Pure and deterministic: the same features always give the same result.
pub fn classify(f: &FaceFeatures) -> LookAlike {
    let x = normalise(f);
    let w = weights(f);

    // Per-dimension squared differences, kept for the reasons below.
    let mut sq = [[0.0f32; DIMS]; 12];
    let mut dist = [0.0f32; 12];
    for (a, proto) in PROTOTYPES.iter().enumerate() {
        for i in 0..DIMS {
            let d = x[i] - proto[i];
            sq[a][i] = d * d;
            dist[a] += w[i] * d * d;
        }
    }

    // Softmax of −d/T, shifted by the minimum distance so the largest exponent is exp(0).
    let dmin = dist.iter().copied().fold(f32::INFINITY, f32::min);
    let mut exps = [0.0f32; 12];
    for (e, d) in exps.iter_mut().zip(dist) {
        *e = (-(d - dmin) / TEMPERATURE).exp();
    }
    let total: f32 = exps.iter().sum();
    let mut scores = [(AnimalId::Rat, 0.0f32); 12];
    let mut best = 0;
    for (a, id) in AnimalId::ALL.into_iter().enumerate() {
        scores[a] = (id, exps[a] / total);
        // Strict comparison: ties go to the earlier animal, keeping the result deterministic.
        if dist[a] < dist[best] {
            best = a;
        }
    }
    let animal = AnimalId::ALL[best];
    let reasons = reasons(animal, &x, &w, &sq);
    LookAlike {
        animal,
        scores,
        reasons,
    }
}

/// Evidence needed before a dimension is cited as a reason.
const MIN_EVIDENCE: f32 = 0.15;
/// Geometry must be at least this unusual to be described as a trait of the person.
const MIN_GEOMETRY: f32 = 0.3;
/// An expression must be at least this likely, in the face and in the prototype, to be cited.
const MIN_EXPRESSION: f32 = 0.25;

/// Picks the dimensions that pulled the face towards `winner` more than towards the average
/// other animal, and only cites those whose sentence is actually true of the person.
fn reasons(
    winner: AnimalId,
    x: &[f32; DIMS],
    w: &[f32; DIMS],
    sq: &[[f32; DIMS]; 12],
) -> Vec<Reason> {
    let wi = winner.index();
    let p = &PROTOTYPES[wi];
    let mut cands: Vec<(f32, Feature, bool)> = Vec::new();
    for (i, dim) in Feature::DIMS.into_iter().enumerate() {
        let others: f32 = (0..12).filter(|&a| a != wi).map(|a| sq[a][i]).sum::<f32>() / 11.0;
        let evidence = w[i] * (others - sq[wi][i]);
        if evidence < MIN_EVIDENCE {
            continue;
        }
        let cite = if dim.is_expression() {
            x[i] >= MIN_EXPRESSION && p[i] >= MIN_EXPRESSION
        } else {
            x[i].abs() >= MIN_GEOMETRY
                && x[i].signum() == p[i].signum()
                && p[i].abs() >= MIN_GEOMETRY
        };
        if cite {
            cands.push((evidence, dim, x[i] > 0.0));
        }
    }
    // Stable sort on a total order: equal evidence keeps dimension order.
    cands.sort_by(|a, b| b.0.total_cmp(&a.0));
    let name = crate::zodiac::animal(winner).name;
    let mut out: Vec<Reason> = cands
        .into_iter()
        .take(3)
        .map(|(_, dim, positive)| {
            let (ko, en) = phrase(dim, positive);
            Reason {
                feature: dim,
                text_ko: format!("{}처럼 {ko}", name.ko),
                text_en: format!(
                    "{}, just like the {}.",
                    capitalise(en),
                    name.en.to_lowercase()
                ),
            }
        })
        .collect();
    if out.is_empty() {
        out.push(Reason {
            feature: Feature::Overall,
            text_ko: format!("전체적인 인상이 {}상에 가장 가까워요.", name.ko),
            text_en: format!(
                "Your overall look is closest to the {}.",
                name.en.to_lowercase()
            ),
        });
    }
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// What a dimension says about the person, for the given direction (expressions only use
/// `positive = true`).
fn phrase(dim: Feature, positive: bool) -> (&'static str, &'static str) {
    match (dim, positive) {
        (Feature::EyeSpacing, true) => {
            ("눈 사이가 시원하게 넓어요.", "your eyes are set wide apart")
        }
        (Feature::EyeSpacing, false) => (
            "눈 사이가 가까워 또렷해 보여요.",
            "your eyes are close-set and focused",
        ),
        (Feature::EyeSize, true) => ("눈이 크고 동그래요.", "your eyes are big and round"),
        (Feature::EyeSize, false) => ("눈매가 가늘고 날렵해요.", "your eyes are narrow and sleek"),
        (Feature::EyeHeight, true) => (
            "눈이 얼굴 위쪽에 자리해 있어요.",
            "your eyes sit high on your face",
        ),
        (Feature::EyeHeight, false) => (
            "눈이 얼굴 가운데쯤 차분하게 자리해 있어요.",
            "your eyes sit low and calm on your face",
        ),
        (Feature::EyeTilt, true) => ("눈꼬리가 올라가 있어요.", "your eyes tilt upward"),
        (Feature::EyeTilt, false) => (
            "눈매가 반듯하고 순해 보여요.",
            "your eyes sit level and gentle",
        ),
        (Feature::Brightness, true) => (
            "얼굴빛이 환하고 밝아요.",
            "your face looks bright and glowing",
        ),
        (Feature::Brightness, false) => (
            "차분하고 깊은 분위기가 있어요.",
            "you have a calm, deep-toned look",
        ),
        (Feature::EdgeDensity, true) => (
            "이목구비가 뚜렷하고 선이 강해요.",
            "your features are bold and sharply defined",
        ),
        (Feature::EdgeDensity, false) => (
            "얼굴선이 부드럽고 순해요.",
            "your features are soft and rounded",
        ),
        (Feature::Angry, _) => (
            "눈빛이 강렬하고 카리스마 있어요.",
            "you have a fierce, intense look",
        ),
        (Feature::Disgust, _) => (
            "살짝 시큰둥한 표정이 매력이에요.",
            "your slightly unimpressed look has charm",
        ),
        (Feature::Fear, _) => (
            "조심스럽고 여린 표정이에요.",
            "you have a careful, tender expression",
        ),
        (Feature::Happy, _) => (
            "활짝 웃는 얼굴이 복스러워요.",
            "your big smile is full of warmth",
        ),
        (Feature::Sad, _) => ("촉촉하고 아련한 눈빛이에요.", "you have soft, wistful eyes"),
        (Feature::Surprise, _) => (
            "호기심 가득한 표정이에요.",
            "you have a curious, wide-eyed look",
        ),
        (Feature::Neutral, _) => (
            "차분하고 담담한 표정이에요.",
            "your expression is calm and composed",
        ),
        (Feature::Overall, _) => ("전체적인 인상이 닮았어요.", "your overall look matches"),
    }
}

/// The prototype table as the markdown rows embedded in this module's documentation; a test
/// keeps the two in sync.
pub fn prototype_table_markdown() -> String {
    let mut s = String::from("| animal |");
    for d in Feature::DIMS {
        s.push(' ');
        s.push_str(d.short_name());
        s.push_str(" |");
    }
    s.push('\n');
    s.push_str("|---|");
    for _ in Feature::DIMS {
        s.push_str("---|");
    }
    s.push('\n');
    for a in AnimalId::ALL {
        s.push_str(&format!(
            "| {} ({}) |",
            a.as_str(),
            crate::zodiac::animal(a).name.ko
        ));
        for v in PROTOTYPES[a.index()] {
            s.push_str(&format!(" {v:.2} |"));
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typical(expression: [f32; 7]) -> FaceFeatures {
        FaceFeatures {
            eyes_found: true,
            eye_spacing: FaceFeatures::MEAN_EYE_SPACING,
            eye_size: FaceFeatures::MEAN_EYE_SIZE,
            eye_height: FaceFeatures::MEAN_EYE_HEIGHT,
            eye_tilt_deg: 4.0,
            brightness: 0.5,
            edge_density: 0.12,
            expression,
        }
    }

    fn one_hot(e: Expression) -> [f32; 7] {
        let mut v = [0.0; 7];
        v[e.index()] = 1.0;
        v
    }

    /// Small deterministic generator so the property tests need no rand dependency.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> f32 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 40) as f32) / ((1u64 << 24) as f32)
        }
        fn face(&mut self) -> FaceFeatures {
            let mut e = [0.0; 7];
            for v in e.iter_mut() {
                *v = self.next();
            }
            let s: f32 = e.iter().sum();
            e.iter_mut().for_each(|v| *v /= s);
            FaceFeatures {
                eyes_found: self.next() > 0.2,
                eye_spacing: 0.28 + 0.25 * self.next(),
                eye_size: 0.12 + 0.2 * self.next(),
                eye_height: 0.28 + 0.2 * self.next(),
                eye_tilt_deg: -15.0 + 30.0 * self.next(),
                brightness: self.next(),
                edge_density: 0.3 * self.next(),
                expression: e,
            }
        }
    }

    #[test]
    fn every_animal_is_reachable_from_its_prototype() {
        for a in AnimalId::ALL {
            let f = denormalise(prototype(a));
            // The prototype must describe a plausible face, not an out-of-range one.
            assert!((0.28..=0.52).contains(&f.eye_spacing), "{a:?} {f:?}");
            assert!((0.12..=0.30).contains(&f.eye_size), "{a:?} {f:?}");
            assert!((0.28..=0.46).contains(&f.eye_height), "{a:?} {f:?}");
            assert!((0.0..=1.0).contains(&f.brightness), "{a:?} {f:?}");
            assert!((0.0..=1.0).contains(&f.edge_density), "{a:?} {f:?}");
            let s: f32 = f.expression.iter().sum();
            assert!((s - 1.0).abs() < 1e-5, "{a:?} expression sums to {s}");
            let r = classify(&f);
            assert_eq!(r.animal, a, "{:?}", r.ranked());
            assert!(r.score(a) > 0.3, "{a:?} wins with only {}", r.score(a));
        }
    }

    #[test]
    fn every_animal_is_reachable_from_a_nearby_face() {
        // Halfway between the prototype and a typical neutral face still lands on the animal:
        // prototypes are not isolated points that only exact inputs hit.
        let base = normalise(&typical(one_hot(Expression::Neutral)));
        for a in AnimalId::ALL {
            let p = prototype(a);
            let mut v = [0.0; DIMS];
            for i in 0..DIMS {
                v[i] = 0.4 * base[i] + 0.6 * p[i];
            }
            assert_eq!(classify(&denormalise(&v)).animal, a);
        }
    }

    #[test]
    fn scores_sum_to_one_and_are_deterministic() {
        let mut g = Lcg(42);
        for _ in 0..500 {
            let f = g.face();
            let r = classify(&f);
            let s: f32 = r.scores.iter().map(|x| x.1).sum();
            assert!((s - 1.0).abs() < 1e-4, "sum {s}");
            for (i, (id, p)) in r.scores.iter().enumerate() {
                assert_eq!(*id, AnimalId::ALL[i]);
                assert!((0.0..=1.0).contains(p));
            }
            assert_eq!(r.ranked()[0].0, r.animal);
            assert!(!r.reasons.is_empty());
            assert_eq!(classify(&f), r);
        }
    }

    #[test]
    fn survives_garbage_input() {
        let mut f = typical([f32::NAN; 7]);
        f.eye_spacing = f32::INFINITY;
        f.brightness = f32::NAN;
        let r = classify(&f);
        let s: f32 = r.scores.iter().map(|x| x.1).sum();
        assert!((s - 1.0).abs() < 1e-4);
    }

    #[test]
    fn eye_fields_are_ignored_without_eyes() {
        let mut a = typical(one_hot(Expression::Happy));
        a.eyes_found = false;
        let mut b = a;
        b.eye_spacing = 0.3;
        b.eye_size = 0.3;
        b.eye_tilt_deg = 12.0;
        assert_eq!(classify(&a), classify(&b));
        assert!(classify(&b).reasons.iter().all(|r| !r.feature.is_eye()));
    }

    /// Moves probability mass from neutral to `e` in steps and returns the summed score of
    /// `animals` at each step.
    fn sweep(e: Expression, animals: &[AnimalId]) -> Vec<f32> {
        (0..=10)
            .map(|k| {
                let t = k as f32 / 10.0;
                let mut p = one_hot(Expression::Neutral);
                p[Expression::Neutral.index()] = 1.0 - t;
                p[e.index()] = t;
                let r = classify(&typical(p));
                animals.iter().map(|&a| r.score(a)).sum()
            })
            .collect()
    }

    fn assert_rising(v: &[f32], min_gain: f32, what: &str) {
        for w in v.windows(2) {
            assert!(w[1] >= w[0] - 1e-6, "{what} not monotonic: {v:?}");
        }
        assert!(
            v[v.len() - 1] > v[0] + min_gain,
            "{what} barely moves: {v:?}"
        );
    }

    #[test]
    fn expressions_move_scores_the_right_way() {
        use AnimalId::*;
        assert_rising(
            &sweep(Expression::Happy, &[Pig, Dog]),
            0.3,
            "happy -> pig+dog",
        );
        // The pig alone rises less on a typical face because its geometry (small, low eyes,
        // soft lines) is far from typical; it must still rise all the way.
        assert_rising(&sweep(Expression::Happy, &[Pig]), 0.1, "happy -> pig");
        assert_rising(
            &sweep(Expression::Angry, &[Tiger, Dragon]),
            0.2,
            "angry -> tiger+dragon",
        );
        assert_rising(
            &sweep(Expression::Surprise, &[Rabbit, Monkey]),
            0.2,
            "surprise -> r+m",
        );
        assert_rising(
            &sweep(Expression::Disgust, &[Snake]),
            0.1,
            "disgust -> snake",
        );
        assert_rising(&sweep(Expression::Fear, &[Rabbit]), 0.1, "fear -> rabbit");
        let happy = classify(&typical(one_hot(Expression::Happy))).animal;
        assert!(matches!(happy, Pig | Dog), "{happy:?}");
    }

    #[test]
    fn geometry_moves_scores_the_right_way() {
        use AnimalId::*;
        let neutral = one_hot(Expression::Neutral);
        let at = |edit: &dyn Fn(&mut FaceFeatures), animals: &[AnimalId]| -> f32 {
            let mut f = typical(neutral);
            edit(&mut f);
            let r = classify(&f);
            animals.iter().map(|&a| r.score(a)).sum()
        };
        // Slanted eyes and strong lines favour the tiger.
        assert!(at(&|f| f.eye_tilt_deg = 10.0, &[Tiger]) > at(&|_| {}, &[Tiger]));
        assert!(at(&|f| f.edge_density = 0.2, &[Tiger, Dragon]) > at(&|_| {}, &[Tiger, Dragon]));
        // Big eyes set high favour the rabbit; narrow eyes the snake; wide-set the monkey.
        assert!(
            at(
                &|f| {
                    f.eye_size = 0.28;
                    f.eye_height = 0.32
                },
                &[Rabbit]
            ) > at(&|_| {}, &[Rabbit])
        );
        assert!(at(&|f| f.eye_size = 0.16, &[Snake]) > at(&|_| {}, &[Snake]));
        assert!(at(&|f| f.eye_spacing = 0.47, &[Monkey]) > at(&|_| {}, &[Monkey]));
        // Tilt is a magnitude: tilting either way counts the same.
        assert_eq!(
            at(&|f| f.eye_tilt_deg = 9.0, &[Tiger]),
            at(&|f| f.eye_tilt_deg = -9.0, &[Tiger])
        );
    }

    #[test]
    fn reasons_are_true_of_the_face() {
        let f = denormalise(prototype(AnimalId::Tiger));
        let r = classify(&f);
        assert_eq!(r.animal, AnimalId::Tiger);
        assert!(
            r.reasons.iter().any(|x| x.feature == Feature::EyeTilt),
            "{:?}",
            r.reasons
        );
        let tilt = r.reasons.iter().find(|x| x.feature == Feature::EyeTilt);
        if let Some(t) = tilt {
            assert_eq!(t.text_ko, "호랑이처럼 눈꼬리가 올라가 있어요.");
            assert_eq!(t.text_en, "Your eyes tilt upward, just like the tiger.");
        }
        let mut g = Lcg(7);
        for _ in 0..300 {
            let f = g.face();
            let x = normalise(&f);
            let r = classify(&f);
            assert!(r.reasons.len() <= 3);
            for reason in &r.reasons {
                if let Some(i) = Feature::DIMS.iter().position(|d| *d == reason.feature) {
                    if reason.feature.is_expression() {
                        assert!(x[i] >= MIN_EXPRESSION);
                    } else {
                        assert!(x[i].abs() >= MIN_GEOMETRY);
                    }
                }
            }
        }
        // A perfectly typical, expressionless-average face still gets an explanation.
        let flat = typical([1.0 / 7.0; 7]);
        assert!(!classify(&flat).reasons.is_empty());
    }

    #[test]
    fn documented_table_matches_code() {
        let src = include_str!("lookalike.rs");
        for line in prototype_table_markdown().lines() {
            let documented = format!("//! {line}");
            assert!(
                src.contains(&documented),
                "module doc is missing or stale:\n{documented}"
            );
        }
    }

    #[test]
    #[ignore = "prints the table for pasting into the module doc"]
    fn print_table() {
        print!("{}", prototype_table_markdown());
        for a in AnimalId::ALL {
            let r = classify(&denormalise(prototype(a)));
            println!(
                "{a:?}: {:.2} {:?}",
                r.score(a),
                r.reasons.iter().map(|x| &x.text_en).collect::<Vec<_>>()
            );
        }
    }
}
