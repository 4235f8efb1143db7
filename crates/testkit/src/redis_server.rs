//! A Redis server of the test's own, for faults that would disturb every other test on the
//! shared one (`CLIENT PAUSE` stalls a whole server).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` child process on a free local port, killed when dropped. Nothing persists.
pub struct PrivateRedis {
    child: Child,
    port: u16,
}

impl PrivateRedis {
    /// Starts `redis-server` (`MOJI_REDIS_SERVER`, else from `PATH`; `scripts/infra.sh`
    /// installs it) and returns once it answers `PING`.
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let bin = std::env::var("MOJI_REDIS_SERVER").unwrap_or_else(|_| "redis-server".into());
        let child = Command::new(&bin)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {bin}: {e} (run scripts/infra.sh)"));
        let server = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.command("PING").ok().as_deref() != Some("+PONG") {
            assert!(
                Instant::now() < deadline,
                "{bin} on port {port} did not answer"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// `CLIENT PAUSE <ms> WRITE`: write commands of every client wait until it ends.
    pub fn pause_writes(&self, pause: Duration) {
        let reply = self
            .command(&format!("CLIENT PAUSE {} WRITE", pause.as_millis()))
            .expect("CLIENT PAUSE");
        assert_eq!(reply, "+OK", "CLIENT PAUSE answered {reply}");
    }

    /// Sends one inline command on a new connection and returns the first reply line.
    fn command(&self, line: &str) -> std::io::Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream.write_all(format!("{line}\r\n").as_bytes())?;
        let mut reply = String::new();
        BufReader::new(stream).read_line(&mut reply)?;
        Ok(reply.trim_end().to_owned())
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
