#![allow(clippy::unwrap_used, clippy::expect_used)]
//! A small fuzz-style loop: random mutations of valid files must never panic inside a codec.
//!
//! `decode` turns codec panics into `Corrupt`, so the public contract alone would hide one; a
//! panic hook counts them instead. This file is its own test binary so the hook sees only this
//! test.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use moji_media::{decode, Limits};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn mutate(rng: &mut StdRng, valid: &[u8]) -> Vec<u8> {
    let mut b = valid.to_vec();
    for _ in 0..rng.random_range(1..=8) {
        match rng.random_range(0..5) {
            // Flip bits, keeping the magic so the codec itself is exercised.
            0 | 1 => {
                let i = rng.random_range(4..b.len());
                b[i] ^= 1 << rng.random_range(0..8);
            }
            // Overwrite with an interesting value (lengths and sizes love these).
            2 => {
                let i = rng.random_range(4..b.len());
                b[i] = [0x00, 0xFF, 0x7F, 0x80, 0x01][rng.random_range(0..5)];
            }
            // Truncate.
            3 => {
                let n = rng.random_range(4..b.len());
                b.truncate(n);
            }
            // Duplicate a slice.
            _ => {
                let start = rng.random_range(4..b.len());
                let end = (start + rng.random_range(1..64)).min(b.len());
                let copy = b[start..end].to_vec();
                let at = rng.random_range(4..b.len());
                b.splice(at..at, copy);
            }
        }
        if b.len() <= 8 {
            break;
        }
    }
    b
}

#[test]
fn two_thousand_mutations_never_panic() {
    let panics = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&panics);
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        counter.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));

    // A tight pixel limit keeps mutated headers from asking for big (slow, zeroed) buffers.
    let limits = Limits::new(Limits::default().max_bytes, 1_000_000);
    let img = gradient(48, 40);
    let seeds = [png(&img), jpeg(&img)];
    let mut rng = StdRng::seed_from_u64(0x6d6f6a69);
    let (mut ok, mut err) = (0, 0);
    for i in 0..2000 {
        let input = mutate(&mut rng, &seeds[i % 2]);
        match decode(&input, &limits) {
            Ok(out) => {
                assert!(u64::from(out.width()) * u64::from(out.height()) <= 1_000_000);
                ok += 1;
            }
            Err(_) => err += 1,
        }
    }
    let _ = std::panic::take_hook();
    assert_eq!(panics.load(Ordering::SeqCst), 0, "a codec panicked");
    assert_eq!(ok + err, 2000);
    eprintln!("mutations: {ok} decoded, {err} refused");
}
