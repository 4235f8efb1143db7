//! Sign-in with an OpenID Connect provider (Google in the seed; any issuer by settings).

use serde::{Deserialize, Serialize};

/// The provider: off while `issuer_url` is empty.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OidcSettings {
    /// The issuer (its `/.well-known/openid-configuration` is read), e.g.
    /// `https://accounts.google.com`; empty turns the sign-in off.
    pub issuer_url: String,
    /// The client id registered with the provider.
    pub client_id: String,
    /// The client secret: a secret, from `MOJI_OIDC__CLIENT_SECRET` only (empty: a public
    /// client, PKCE only).
    pub client_secret: String,
    /// The name on the button ("Google").
    pub display_name: String,
    /// Where the provider sends the person back; empty:
    /// `{http.public_url}/api/v1/auth/oidc/callback`.
    pub redirect_url: String,
}

impl Default for OidcSettings {
    fn default() -> Self {
        OidcSettings {
            issuer_url: String::new(),
            client_id: String::new(),
            client_secret: String::new(),
            display_name: "Google".into(),
            redirect_url: String::new(),
        }
    }
}

impl OidcSettings {
    /// Whether sign-in with the provider is configured.
    pub fn enabled(&self) -> bool {
        !self.issuer_url.is_empty()
    }

    /// Why these settings cannot work, if they cannot.
    pub fn problem(&self) -> Option<String> {
        if !self.enabled() {
            return None;
        }
        let absolute = |u: &str| u.starts_with("https://") || u.starts_with("http://");
        if !absolute(&self.issuer_url) || self.client_id.is_empty() {
            return Some("oidc.issuer_url must be an absolute URL and oidc.client_id set".into());
        }
        if !self.redirect_url.is_empty() && !absolute(&self.redirect_url) {
            return Some("oidc.redirect_url must be an absolute URL".into());
        }
        None
    }
}
