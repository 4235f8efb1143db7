//! Sends Moji's mail: plain-text messages over SMTP (lettre, with STARTTLS or TLS where the
//! settings ask for it), or into the log when `mail.transport = "log"` (development without a
//! mail server). The api's mail sender calls [`Mailer::send`] for each queued mail.

use lettre::{
    message::{header::ContentType, Mailbox},
    transport::smtp::{authentication::Credentials, client::Tls, client::TlsParameters},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use moji_config::MailSettings;

/// Why a mail could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The settings do not make a working transport (bad sender, TLS set-up).
    #[error("mail settings: {0}")]
    Settings(String),
    /// The recipient is not an address.
    #[error("bad recipient {0:?}")]
    Recipient(String),
    /// The message could not be built.
    #[error("building the message: {0}")]
    Build(String),
    /// The SMTP server refused it or could not be reached; worth retrying later.
    #[error("smtp: {0}")]
    Smtp(String),
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Log,
}

/// Sends mail as the settings say.
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

impl Mailer {
    /// Builds the transport from settings (nothing is connected yet).
    pub fn from_settings(settings: &MailSettings) -> Result<Self, MailError> {
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|e| MailError::Settings(format!("mail.from {:?}: {e}", settings.from)))?;
        let transport = match settings.transport.as_str() {
            "log" => Transport::Log,
            _ => Transport::Smtp(smtp(settings)?),
        };
        Ok(Self { from, transport })
    }

    /// Sends one plain-text mail.
    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
        let to_box: Mailbox = to
            .parse()
            .map_err(|_| MailError::Recipient(to.chars().take(254).collect()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to_box)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| MailError::Build(e.to_string()))?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message)
                    .await
                    .map_err(|e| MailError::Smtp(e.to_string()))?;
            }
            Transport::Log => {
                tracing::info!(to, subject, body, "mail (transport = log: not sent)");
            }
        }
        Ok(())
    }
}

fn smtp(settings: &MailSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let host = settings.smtp_host.as_str();
    let tls = |required: bool| -> Result<Tls, MailError> {
        let params = TlsParameters::new(host.to_owned())
            .map_err(|e| MailError::Settings(format!("TLS for {host}: {e}")))?;
        Ok(if required {
            Tls::Wrapper(params)
        } else {
            Tls::Required(params)
        })
    };
    let security = match settings.smtp_security.as_str() {
        "tls" => tls(true)?,
        "starttls" => tls(false)?,
        _ => Tls::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(settings.smtp_port)
        .tls(security)
        .timeout(Some(std::time::Duration::from_secs(20)));
    if !settings.smtp_username.is_empty() {
        builder = builder.credentials(Credentials::new(
            settings.smtp_username.clone(),
            settings.smtp_password.clone(),
        ));
    }
    Ok(builder.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_make_a_mailer_and_bad_senders_are_refused() {
        let mut s = MailSettings::default();
        assert!(Mailer::from_settings(&s).is_ok());
        s.transport = "smtp".into();
        s.smtp_security = "starttls".into();
        assert!(Mailer::from_settings(&s).is_ok());
        s.from = "not an address".into();
        assert!(matches!(
            Mailer::from_settings(&s),
            Err(MailError::Settings(_))
        ));
    }

    #[tokio::test]
    async fn a_bad_recipient_is_refused_before_sending() {
        let mailer = Mailer::from_settings(&MailSettings::default()).unwrap();
        assert!(matches!(
            mailer.send("nobody", "s", "b").await,
            Err(MailError::Recipient(_))
        ));
        assert!(mailer.send("a@example.com", "s", "b").await.is_ok());
    }
}
