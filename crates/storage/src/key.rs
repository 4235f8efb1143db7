//! Object key validation.

use crate::StorageError;

/// Longest accepted object key, in bytes (keys are ASCII, so also in characters).
pub const MAX_KEY_LEN: usize = 512;

/// Checks that `key` is a safe object key: non-empty, at most [`MAX_KEY_LEN`] characters,
/// relative, made of non-empty `/`-separated segments of `[A-Za-z0-9._-]`, with no `..`
/// anywhere and no `.` segment. This is what keeps the local backend inside its root.
pub fn validate_key(key: &str) -> Result<(), StorageError> {
    let bad = |reason: &str| {
        Err(StorageError::InvalidKey(format!(
            "{}: {reason}",
            shown(key)
        )))
    };
    if key.is_empty() {
        return bad("must not be empty");
    }
    if key.len() > MAX_KEY_LEN {
        return bad("is longer than 512 characters");
    }
    if key.starts_with('/') {
        return bad("must be relative (no leading `/`)");
    }
    if key.contains("..") {
        return bad("must not contain `..`");
    }
    for segment in key.split('/') {
        if segment.is_empty() {
            return bad("has an empty segment (`//` or a trailing `/`)");
        }
        if segment == "." {
            return bad("has a `.` segment");
        }
        if !segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return bad("may only contain A-Z a-z 0-9 . _ - and `/` between segments");
        }
    }
    Ok(())
}

/// The key as shown in an error message: quoted, and cut short when very long.
fn shown(key: &str) -> String {
    const SHOWN: usize = 64;
    match key.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{:?}...", &key[..cut]),
        None => format!("{key:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_layouts() {
        for key in [
            "uploads/0190f0e4-7b1c-7cc3-8a55-0d5c2a4b9e01/0190f0e4-aaaa.png",
            "results/task-1/out_1.png",
            "datasets/abc.zip",
            "a",
            ".hidden",
            "a/b/c/d.e.f",
        ] {
            assert!(validate_key(key).is_ok(), "{key} should be valid");
        }
        assert!(validate_key(&"a".repeat(MAX_KEY_LEN)).is_ok());
    }

    #[test]
    fn rejects_traversal_absolute_and_odd_keys() {
        for key in [
            "", "../x", "a/../b", "a/..", "..", "x..png", "/abs", "/", "a//b", "a/", "./a",
            "a/./b", ".", "a b", "a\\b", "a%2e%2e", "é.png", "a\0b", "a?b", "a#1",
        ] {
            let err = validate_key(key).expect_err(key);
            assert!(matches!(err, StorageError::InvalidKey(_)), "{key}: {err}");
        }
        assert!(validate_key(&"a".repeat(MAX_KEY_LEN + 1)).is_err());
    }

    #[test]
    fn error_messages_stay_short() {
        let long = "ä".repeat(10_000);
        let msg = validate_key(&long).unwrap_err().to_string();
        assert!(msg.len() < 300, "{msg}");
    }
}
