//! Outgoing mail (issue 17): password resets and e-mail verification.

use serde::{Deserialize, Serialize};

/// How mail leaves: over SMTP, or written to the log (development without a mail server).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MailSettings {
    /// `smtp` or `log` (each mail's recipient, subject and body go to the log at info level:
    /// local development only).
    pub transport: String,
    /// SMTP server host.
    pub smtp_host: String,
    /// SMTP server port (25, 587 with `starttls`, 465 with `tls`; a local test server's).
    pub smtp_port: u16,
    /// `none` (plain, local servers only), `starttls` or `tls`.
    pub smtp_security: String,
    /// SMTP user name (empty: no authentication).
    pub smtp_username: String,
    /// SMTP password: a secret, from `MOJI_MAIL__SMTP_PASSWORD` only.
    pub smtp_password: String,
    /// The sender, e.g. `Moji <no-reply@moji.example>`.
    pub from: String,
    /// Lifetime of a password-reset link in seconds.
    pub reset_ttl_secs: u64,
    /// Lifetime of an e-mail verification link in seconds.
    pub verify_ttl_secs: u64,
    /// Whether listing products for sale needs a verified e-mail address.
    pub sellers_must_verify: bool,
}

impl Default for MailSettings {
    fn default() -> Self {
        MailSettings {
            transport: "log".into(),
            smtp_host: "127.0.0.1".into(),
            smtp_port: 25,
            smtp_security: "none".into(),
            smtp_username: String::new(),
            smtp_password: String::new(),
            from: "Moji <no-reply@moji.local>".into(),
            reset_ttl_secs: 1800,
            verify_ttl_secs: 86_400,
            sellers_must_verify: false,
        }
    }
}

impl MailSettings {
    /// Why these settings cannot work, if they cannot.
    pub fn problem(&self) -> Option<String> {
        if !matches!(self.transport.as_str(), "smtp" | "log") {
            return Some(format!(
                "mail.transport must be smtp or log, got {:?}",
                self.transport
            ));
        }
        if !matches!(self.smtp_security.as_str(), "none" | "starttls" | "tls") {
            return Some(format!(
                "mail.smtp_security must be none, starttls or tls, got {:?}",
                self.smtp_security
            ));
        }
        if self.reset_ttl_secs == 0 || self.verify_ttl_secs == 0 || !self.from.contains('@') {
            return Some(
                "mail.reset_ttl_secs and mail.verify_ttl_secs must be positive and mail.from an address"
                    .into(),
            );
        }
        None
    }
}
