//! Field rules for accounts. Each check returns the field errors it found so a response can
//! list every problem at once.

use moji_telemetry::FieldError;

/// Shortest accepted password, in characters.
pub const PASSWORD_MIN_CHARS: usize = 10;
/// bcrypt only reads the first 72 bytes; longer passwords would silently lose their tail.
pub const PASSWORD_MAX_BYTES: usize = 72;

/// Lower-cases a username and checks `^[a-z0-9_]{3,30}$`.
pub fn username(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let name = raw.trim().to_lowercase();
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !(3..=30).contains(&name.len()) || !ok_chars {
        errors.push(FieldError::new(
            "username",
            "3 to 30 characters: letters a-z, digits and underscore",
        ));
    }
    name
}

/// Lower-cases an e-mail address and checks its shape (`local@domain.tld`, ≤ 254 bytes).
pub fn email(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let email = raw.trim().to_lowercase();
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && match email.split_once('@') {
            Some((local, domain)) => {
                (1..=64).contains(&local.len())
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
                    && domain
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            }
            None => false,
        };
    if !valid {
        errors.push(FieldError::new("email", "not a valid e-mail address"));
    }
    email
}

/// Checks password length (≥ 10 characters, ≤ 72 bytes).
pub fn password(field: &str, raw: &str, errors: &mut Vec<FieldError>) {
    if raw.chars().count() < PASSWORD_MIN_CHARS {
        errors.push(FieldError::new(
            field,
            format!("at least {PASSWORD_MIN_CHARS} characters"),
        ));
    } else if raw.len() > PASSWORD_MAX_BYTES {
        errors.push(FieldError::new(
            field,
            format!("at most {PASSWORD_MAX_BYTES} bytes"),
        ));
    }
}

/// Trims a display name and checks 1..=50 characters without control characters.
pub fn display_name(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let name = raw.trim().to_owned();
    if !(1..=50).contains(&name.chars().count()) || name.chars().any(char::is_control) {
        errors.push(FieldError::new(
            "display_name",
            "1 to 50 characters, no control characters",
        ));
    }
    name
}

/// Checks a bio: at most 500 characters.
pub fn bio(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let bio = raw.trim().to_owned();
    if bio.chars().count() > 500 {
        errors.push(FieldError::new("bio", "at most 500 characters"));
    }
    bio
}

/// Most outside links on a profile.
pub const MAX_LINKS: usize = 2;
/// Longest outside link, in characters.
pub const MAX_LINK_CHARS: usize = 300;

/// Whether `link` (trimmed) is an absolute http(s) URL with a host, without spaces or control
/// characters, of at most `max_chars` characters.
pub fn is_outside_link(link: &str, max_chars: usize) -> bool {
    link.chars().count() <= max_chars
        && !link.chars().any(|c| c.is_whitespace() || c.is_control())
        && url::Url::parse(link).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty())
        })
}

/// Checks profile links: at most two, each an absolute http(s) URL with a host, no spaces,
/// at most 300 characters. Returns them trimmed.
pub fn links(raw: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    if raw.len() > MAX_LINKS {
        errors.push(FieldError::new(
            "links",
            format!("at most {MAX_LINKS} links"),
        ));
    }
    let mut out = Vec::with_capacity(raw.len());
    for (i, link) in raw.iter().enumerate() {
        let link = link.trim();
        let field = format!("links[{i}]");
        if !is_outside_link(link, MAX_LINK_CHARS) {
            errors.push(FieldError::new(
                field,
                format!("an http:// or https:// address of at most {MAX_LINK_CHARS} characters"),
            ));
        }
        out.push(link.to_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_links() {
        let ok = |v: &[&str]| {
            errs(|e| {
                links(&v.iter().map(|s| s.to_string()).collect::<Vec<_>>(), e);
            })
        };
        assert_eq!(ok(&["https://example.com/shop", " http://a.kr "]), 0);
        assert_eq!(ok(&[]), 0);
        assert_eq!(ok(&["javascript:alert(1)"]), 1);
        assert_eq!(ok(&["ftp://example.com"]), 1);
        assert_eq!(ok(&["https://"]), 1);
        assert_eq!(ok(&["https://a.b/x y"]), 1);
        assert_eq!(ok(&["example.com"]), 1);
        assert_eq!(ok(&["https://a.b", "https://c.d", "https://e.f"]), 1);
        let long = format!("https://a.b/{}", "x".repeat(300));
        assert_eq!(ok(&[long.as_str()]), 1);
    }

    fn errs<F: FnOnce(&mut Vec<FieldError>)>(f: F) -> usize {
        let mut e = Vec::new();
        f(&mut e);
        e.len()
    }

    #[test]
    fn usernames() {
        assert_eq!(errs(|e| assert_eq!(username(" Alice_1 ", e), "alice_1")), 0);
        assert_eq!(errs(|e| drop(username("ab", e))), 1);
        assert_eq!(errs(|e| drop(username(&"a".repeat(31), e))), 1);
        assert_eq!(errs(|e| drop(username("bad-name", e))), 1);
        assert_eq!(errs(|e| drop(username("한글이름", e))), 1);
    }

    #[test]
    fn emails() {
        assert_eq!(
            errs(|e| assert_eq!(email("A@Example.COM", e), "a@example.com")),
            0
        );
        for bad in [
            "", "a", "a@b", "a@@b.c", "a b@c.d", "@c.d", "a@.c", "a@c.", "a@c..d",
        ] {
            assert_eq!(errs(|e| drop(email(bad, e))), 1, "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert_eq!(errs(|e| password("password", "0123456789", e)), 0);
        assert_eq!(errs(|e| password("password", "short", e)), 1);
        assert_eq!(errs(|e| password("password", &"x".repeat(73), e)), 1);
        // Ten Hangul syllables are ten characters (30 bytes): accepted.
        assert_eq!(errs(|e| password("password", "가나다라마바사아자차", e)), 0);
    }

    #[test]
    fn display_names_and_bios() {
        assert_eq!(errs(|e| drop(display_name("  ", e))), 1);
        assert_eq!(errs(|e| drop(display_name("모지 사용자", e))), 0);
        assert_eq!(errs(|e| drop(bio(&"x".repeat(501), e))), 1);
    }
}
