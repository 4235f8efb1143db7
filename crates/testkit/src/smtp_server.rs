//! A real local SMTP server for tests: `aiosmtpd` (PyPI) as a child process on a free port,
//! storing every message it receives in a maildir the test reads.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An `aiosmtpd` child process, killed when dropped.
pub struct TestSmtp {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

/// The Python with `aiosmtpd`: `MOJI_TEST_SMTPD_PYTHON`, else the venv `scripts/test.sh`
/// makes (`scripts/lib/smtp-venv.sh`) under `.cache/venv-smtp`.
fn python() -> PathBuf {
    if let Ok(p) = std::env::var("MOJI_TEST_SMTPD_PYTHON") {
        return PathBuf::from(p);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/venv-smtp/bin/python")
}

impl TestSmtp {
    /// Starts the server and returns once it accepts connections.
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let maildir = tempfile::tempdir().expect("maildir");
        let python = python();
        assert!(
            python.exists(),
            "no aiosmtpd at {} (run scripts/lib/smtp-venv.sh, or scripts/test.sh once)",
            python.display()
        );
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting aiosmtpd with {}: {e}", python.display()));
        let server = Self {
            child,
            port,
            maildir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "aiosmtpd on port {port} did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every message received so far (headers and body, the body decoded as
    /// [`readable`] does), oldest first.
    pub fn messages(&self) -> Vec<String> {
        let dir = self.maildir.path().join("mail/new");
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
            .into_iter()
            .filter_map(|(_, p)| std::fs::read_to_string(p).ok())
            .map(|raw| readable(&raw))
            .collect()
    }

    /// Waits up to `wait` until at least `n` messages arrived; returns them all.
    pub fn wait_for(&self, n: usize, wait: Duration) -> Vec<String> {
        let deadline = Instant::now() + wait;
        loop {
            let got = self.messages();
            if got.len() >= n || Instant::now() >= deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A raw message with its quoted-printable body decoded (soft line breaks joined, `=XX`
/// bytes restored), as a mail client shows it; other messages as they are.
pub fn readable(raw: &str) -> String {
    let Some((head, body)) = raw.split_once("\n\n") else {
        return raw.to_owned();
    };
    if !head
        .to_ascii_lowercase()
        .contains("content-transfer-encoding: quoted-printable")
    {
        return raw.to_owned();
    }
    let joined = body.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    format!("{head}\n\n{}", String::from_utf8_lossy(&out))
}

impl Drop for TestSmtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_printable_bodies_are_decoded() {
        let raw = "Subject: x\nContent-Transfer-Encoding: quoted-printable\n\nhttp://a/#/reset?token=3Dab=\ncd =EC=9D=B4\n";
        assert_eq!(
            readable(raw),
            "Subject: x\nContent-Transfer-Encoding: quoted-printable\n\nhttp://a/#/reset?token=abcd \u{c774}\n"
        );
        assert_eq!(readable("Subject: y\n\nplain=3D"), "Subject: y\n\nplain=3D");
    }
}
