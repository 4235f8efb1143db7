//! Sockets: loopback-only targets, access tokens minted like the api's, connections bound to
//! one of several 127.0.0.x source addresses, and the reader that books every frame.

use std::{
    borrow::Cow,
    collections::{BTreeMap, HashMap},
    net::{Ipv4Addr, SocketAddr, SocketAddrV4},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex, MutexGuard,
    },
    time::{Duration, Instant},
};

use anyhow::{anyhow, bail, Context};
use futures_util::{
    stream::{SplitSink, SplitStream},
    StreamExt,
};
use serde::{Deserialize, Serialize};
use tokio::{net::TcpSocket, sync::oneshot};
use tokio_tungstenite::{
    tungstenite::{protocol::WebSocketConfig, Message},
    WebSocketStream,
};
use uuid::Uuid;

use crate::stats::{self, Inbox, Receipt};

/// A socket's stream type.
pub type Ws = WebSocketStream<tokio::net::TcpStream>;
/// Its write half.
pub type Sink = SplitSink<Ws, Message>;

/// The one host part the bench accepts: an address in 127.0.0.0/8 (or `localhost`).
pub fn loopback_host(host: &str) -> anyhow::Result<Ipv4Addr> {
    let ip = if host.eq_ignore_ascii_case("localhost") {
        Ipv4Addr::LOCALHOST
    } else {
        host.parse::<Ipv4Addr>()
            .map_err(|_| anyhow!("{host}: only 127.x.y.z addresses (or localhost) are allowed"))?
    };
    if !ip.is_loopback() {
        bail!("{host} is not a loopback address: the bench only talks to this machine");
    }
    Ok(ip)
}

/// Where the sockets go: `ws://127.x.y.z:port/path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Server address.
    pub addr: SocketAddrV4,
    /// `host:port` as written.
    pub authority: String,
    /// Path (and no query).
    pub path: String,
}

impl Target {
    /// Parses a `ws://` URL on a loopback address; anything else is refused.
    pub fn parse(url: &str) -> anyhow::Result<Self> {
        let rest = url
            .strip_prefix("ws://")
            .ok_or_else(|| anyhow!("{url}: only plain ws:// URLs on loopback are allowed"))?;
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/api/v1/chat/ws"),
        };
        if path.contains('?') || authority.contains('@') {
            bail!("{url}: no query or user part, please");
        }
        let (host, port) = authority
            .rsplit_once(':')
            .ok_or_else(|| anyhow!("{url}: the port is required"))?;
        let port: u16 = port.parse().with_context(|| format!("{url}: bad port"))?;
        let ip = loopback_host(host)?;
        Ok(Self {
            addr: SocketAddrV4::new(ip, port),
            authority: authority.to_owned(),
            path: path.to_owned(),
        })
    }
}

/// Checks that an `amqp://user:pass@host:port/vhost` URL points at loopback.
pub fn check_amqp_url(url: &str) -> anyhow::Result<()> {
    let rest = url
        .strip_prefix("amqp://")
        .ok_or_else(|| anyhow!("only amqp:// URLs are allowed"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = match host_port.rsplit_once(':') {
        Some((h, _)) => h,
        None => host_port,
    };
    loopback_host(host).map(|_| ())
}

/// The source address of socket `i`: 127.0.0.1 … 127.0.0.`sources`, round-robin. Each address
/// has its own ephemeral port range, so tens of thousands of sockets never run out of ports.
pub fn source_addr(i: usize, sources: u8) -> Ipv4Addr {
    let n = usize::from(sources.max(1));
    #[allow(clippy::cast_possible_truncation)]
    let last = (i % n) as u8 + 1;
    Ipv4Addr::new(127, 0, 0, last)
}

/// One seeded account: its id, session family and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// `users.id`.
    pub id: Uuid,
    /// `session_families.id`.
    pub sid: Uuid,
    /// `users.username`.
    pub username: String,
}

/// Reads `id<TAB>sid<TAB>username` lines (what the bench script seeds).
pub fn parse_users(text: &str) -> anyhow::Result<Vec<User>> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(n, line)| {
            let mut f = line.split('\t');
            let (Some(id), Some(sid), Some(name)) = (f.next(), f.next(), f.next()) else {
                bail!("users line {}: want id, sid and username", n + 1);
            };
            Ok(User {
                id: id
                    .trim()
                    .parse()
                    .with_context(|| format!("users line {}", n + 1))?,
                sid: sid
                    .trim()
                    .parse()
                    .with_context(|| format!("users line {}", n + 1))?,
                username: name.trim().to_owned(),
            })
        })
        .collect()
}

/// The claims of a Moji access token (`moji-auth`'s `Claims`, spelled out so the bench does
/// not link actix and Redis).
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    sub: Uuid,
    exp: i64,
    iat: i64,
    jti: Uuid,
    iss: String,
    aud: String,
    role: String,
    sid: Uuid,
    typ: String,
}

/// Mints access tokens with the api's secret, issuer and audience.
pub struct Minter {
    key: jsonwebtoken::EncodingKey,
    issuer: String,
    audience: String,
}

impl Minter {
    /// HS256 with `secret`.
    pub fn new(secret: &str, issuer: &str, audience: &str) -> anyhow::Result<Self> {
        if secret.is_empty() {
            bail!("MOJI_JWT__SECRET is empty: the bench signs with the service's secret");
        }
        Ok(Self {
            key: jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        })
    }

    /// A day-long access token for `user`.
    pub fn access_token(&self, user: &User) -> anyhow::Result<String> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
        let claims = Claims {
            sub: user.id,
            exp: now + 24 * 3600,
            iat: now,
            jti: Uuid::now_v7(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            role: "user".into(),
            sid: user.sid,
            typ: "access".into(),
        };
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        Ok(jsonwebtoken::encode(&header, &claims, &self.key)?)
    }
}

/// The run's clock and tag: latencies are µs since `epoch`; the end of the current window's
/// sending; the tag in this run's `client_msg_id`s.
pub struct Clock {
    epoch: Instant,
    window_end_us: AtomicU64,
    /// This run's tag (see [`stats::run_tag`]).
    pub run: String,
}

impl Clock {
    /// Starts now with a fresh run tag; no window open.
    pub fn new() -> Self {
        Self {
            epoch: Instant::now(),
            window_end_us: AtomicU64::new(u64::MAX),
            run: stats::run_tag(),
        }
    }

    /// µs since the epoch.
    pub fn now_us(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// The instant `us` µs after the epoch.
    pub fn at(&self, us: u64) -> Instant {
        self.epoch + Duration::from_micros(us)
    }

    /// Sets when the current window's sending ends.
    pub fn set_window_end(&self, us: u64) {
        self.window_end_us.store(us, Ordering::Relaxed);
    }

    fn window_end(&self) -> u64 {
        self.window_end_us.load(Ordering::Relaxed)
    }
}

/// What the reader books, behind a lock the controller takes between windows.
#[derive(Debug, Default)]
pub struct SockState {
    /// Receipts of seq-carrying frames.
    pub inbox: Inbox,
    /// `(g, seq)` of this socket's messages acked (stored) in the current window.
    pub acked: Vec<(u64, i64)>,
    /// `error` frames by code in the current window.
    pub errors: BTreeMap<String, u64>,
    /// How the socket ended, if it did.
    pub closed: Option<String>,
    /// Text frames received, ever.
    pub frames: u64,
}

/// A shared handle on a socket's state.
pub type Shared = Arc<Mutex<SockState>>;

/// Locks a socket's state (a panicked reader leaves it readable).
pub fn lock(s: &Shared) -> MutexGuard<'_, SockState> {
    s.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// An open socket: its state and its write half.
pub struct Sock {
    /// Index in the users list.
    pub index: usize,
    /// Booked by the reader.
    pub state: Shared,
    /// Write half (taken by a sender for a window, then put back).
    pub sink: Option<Sink>,
    /// Connect → `ready`.
    pub connect_time: Duration,
}

/// Server frames, with only the fields the bench reads.
#[derive(Deserialize)]
struct Frame<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    room_id: Option<Cow<'a, str>>,
    #[serde(default)]
    seq: Option<i64>,
    #[serde(default, borrow)]
    client_msg_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    text: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    sender: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    code: Option<Cow<'a, str>>,
    #[serde(default)]
    rooms: Option<HashMap<String, i64>>,
}

/// What a frame meant to the connection's set-up.
#[derive(Debug, PartialEq)]
enum Booked {
    /// `ready`, with the rooms and their latest seqs.
    Ready(HashMap<String, i64>),
    /// `resumed`: the replay asked for is complete.
    Resumed,
    /// Anything else.
    Other,
}

/// Books one text frame.
fn book(text: &str, me: &str, clock: &Clock, state: &Shared) -> Booked {
    let now = clock.now_us();
    let mut s = lock(state);
    s.frames += 1;
    let Ok(f) = serde_json::from_str::<Frame<'_>>(text) else {
        *s.errors.entry("unparsed_frame".into()).or_default() += 1;
        return Booked::Other;
    };
    match f.kind.as_ref() {
        "ready" => {
            let rooms = f.rooms.unwrap_or_default();
            for (room, seq) in &rooms {
                s.inbox.start(room, *seq);
            }
            return Booked::Ready(rooms);
        }
        "resumed" => return Booked::Resumed,
        "message" | "member_joined" | "member_left" => {
            let (Some(room), Some(seq)) = (f.room_id.as_deref(), f.seq) else {
                *s.errors.entry("frame_without_seq".into()).or_default() += 1;
                return Booked::Other;
            };
            let g = f
                .client_msg_id
                .as_deref()
                .and_then(|id| stats::parse_client_msg_id(&clock.run, id));
            let sent = f.text.as_deref().and_then(stats::parse_sent_us);
            let latency_us = match (g, sent) {
                (Some(_), Some(sent)) => {
                    Some(u32::try_from(now.saturating_sub(sent)).unwrap_or(u32::MAX))
                }
                _ => None,
            };
            s.inbox.on_frame(Receipt {
                room,
                seq,
                g: g.filter(|_| sent.is_some()),
                latency_us,
                in_window: now <= clock.window_end(),
                own: f.sender.as_deref() == Some(me),
                at_us: now,
            });
        }
        "ack" => {
            if let (Some(g), Some(seq)) = (
                f.client_msg_id
                    .as_deref()
                    .and_then(|id| stats::parse_client_msg_id(&clock.run, id)),
                f.seq,
            ) {
                s.acked.push((g, seq));
            }
        }
        "error" => {
            let code = f.code.as_deref().unwrap_or("unknown").to_owned();
            *s.errors.entry(code).or_default() += 1;
        }
        _ => {}
    }
    Booked::Other
}

/// Reads a socket to its end, booking every frame; signals `ready` and `resumed` once each.
async fn read_loop(
    mut stream: SplitStream<Ws>,
    me: String,
    clock: Arc<Clock>,
    state: Shared,
    mut ready: Option<oneshot::Sender<HashMap<String, i64>>>,
    mut resumed: Option<oneshot::Sender<()>>,
) {
    let end = loop {
        match stream.next().await {
            Some(Ok(Message::Text(t))) => match book(t.as_str(), &me, &clock, &state) {
                Booked::Ready(rooms) => {
                    if let Some(tx) = ready.take() {
                        let _ = tx.send(rooms);
                    }
                }
                Booked::Resumed => {
                    if let Some(tx) = resumed.take() {
                        let _ = tx.send(());
                    }
                }
                Booked::Other => {}
            },
            Some(Ok(Message::Close(frame))) => {
                break match frame {
                    Some(f) => format!("closed {} {}", u16::from(f.code), f.reason),
                    None => "closed".to_owned(),
                };
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => break format!("error {e}"),
            None => break "eof".to_owned(),
        }
    };
    lock(&state).closed = Some(end);
}

/// Small buffers: ten thousand sockets share this process with the service.
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(Some(1 << 20))
        .max_frame_size(Some(1 << 20))
}

/// The `resume` frame a client sends after (re)connecting: every room at the seq it knows.
fn resume_frame(rooms: &HashMap<String, i64>) -> String {
    serde_json::json!({"v": 1, "type": "resume", "rooms": rooms}).to_string()
}

/// Opens socket `index` from `source`, authenticates with `token`, waits for `ready` and,
/// with `resume`, does what a client does next: sends `resume` with the seqs `ready` gave
/// (nothing to replay) and waits for `resumed`. Until a socket's first frame the service holds
/// its live events (`chat.resume_wait_ms`), so a client that stays silent gets them late.
#[allow(clippy::too_many_arguments)]
pub async fn connect(
    target: &Target,
    source: Ipv4Addr,
    index: usize,
    user: &User,
    token: &str,
    clock: Arc<Clock>,
    timeout: Duration,
    resume: bool,
) -> anyhow::Result<Sock> {
    use futures_util::SinkExt;
    let started = Instant::now();
    let open = async {
        let socket = TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(source.into(), 0))?;
        let stream = socket.connect(target.addr.into()).await?;
        stream.set_nodelay(true)?;
        let url = format!(
            "ws://{}{}?access_token={token}",
            target.authority, target.path
        );
        let (ws, _) = tokio_tungstenite::client_async_with_config(url, stream, Some(ws_config()))
            .await
            .map_err(|e| match e {
                tokio_tungstenite::tungstenite::Error::Http(r) => {
                    anyhow!("http {}", r.status().as_u16())
                }
                other => anyhow!("{other}"),
            })?;
        anyhow::Ok(ws)
    };
    let ws = tokio::time::timeout(timeout, open)
        .await
        .map_err(|_| anyhow!("timeout opening"))?
        .map_err(|e| anyhow!("{}", short_error(&e.to_string())))?;
    let (mut sink, stream) = ws.split();
    let state: Shared = Arc::default();
    let (ready_tx, ready_rx) = oneshot::channel();
    let (resumed_tx, resumed_rx) = oneshot::channel();
    tokio::spawn(read_loop(
        stream,
        user.username.clone(),
        clock,
        state.clone(),
        Some(ready_tx),
        Some(resumed_tx),
    ));
    let closed = |state: &Shared, what: &str| {
        let why = lock(state).closed.clone().unwrap_or_default();
        anyhow!("closed before {what} ({})", short_error(&why))
    };
    let rooms =
        match tokio::time::timeout(timeout.saturating_sub(started.elapsed()), ready_rx).await {
            Ok(Ok(rooms)) => rooms,
            Ok(Err(_)) => return Err(closed(&state, "ready")),
            Err(_) => return Err(anyhow!("no ready frame")),
        };
    if resume {
        sink.send(Message::text(resume_frame(&rooms)))
            .await
            .map_err(|e| anyhow!("sending resume: {}", short_error(&e.to_string())))?;
        match tokio::time::timeout(timeout.saturating_sub(started.elapsed()), resumed_rx).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(closed(&state, "resumed")),
            Err(_) => return Err(anyhow!("no resumed frame")),
        }
    }
    Ok(Sock {
        index,
        state,
        sink: Some(sink),
        connect_time: started.elapsed(),
    })
}

/// An error message short enough to count by kind (no addresses or ports).
pub fn short_error(e: &str) -> String {
    let e = e.split(" (os error").next().unwrap_or(e);
    e.chars().take(80).collect()
}

/// VmRSS of a process, KiB.
pub fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| anyhow!("no VmRSS in {path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets() {
        let t = Target::parse("ws://127.0.0.1:8082/api/v1/chat/ws").unwrap();
        assert_eq!(t.addr, "127.0.0.1:8082".parse().unwrap());
        assert_eq!(t.path, "/api/v1/chat/ws");
        let t = Target::parse("ws://localhost:9000").unwrap();
        assert_eq!(t.path, "/api/v1/chat/ws");
        assert!(Target::parse("ws://127.9.8.7:1/x").is_ok());
        for bad in [
            "ws://10.0.0.1:8082/x",
            "ws://192.168.1.2:8082/x",
            "ws://example.com:80/x",
            "wss://127.0.0.1:8082/x",
            "http://127.0.0.1:8082/x",
            "ws://127.0.0.1/x",
            "ws://[::1]:8082/x",
            "ws://u@127.0.0.1:1/x",
            "ws://127.0.0.1:1/x?a=b",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn amqp_must_be_loopback() {
        assert!(check_amqp_url("amqp://guest:guest@127.0.0.1:5672/%2f").is_ok());
        assert!(check_amqp_url("amqp://localhost:5672").is_ok());
        assert!(check_amqp_url("amqp://guest:guest@10.1.1.1:5672/%2f").is_err());
        assert!(check_amqp_url("amqps://guest:guest@127.0.0.1:5671/%2f").is_err());
        assert!(check_amqp_url("amqp://guest:guest@rabbit:5672/%2f").is_err());
    }

    #[test]
    fn sources_round_robin() {
        let v: Vec<_> = (0..5).map(|i| source_addr(i, 3).to_string()).collect();
        assert_eq!(
            v,
            [
                "127.0.0.1",
                "127.0.0.2",
                "127.0.0.3",
                "127.0.0.1",
                "127.0.0.2"
            ]
        );
        assert_eq!(source_addr(7, 0), Ipv4Addr::new(127, 0, 0, 1));
        assert_eq!(source_addr(253, 254), Ipv4Addr::new(127, 0, 0, 254));
    }

    #[test]
    fn users_file() {
        let a = Uuid::now_v7();
        let b = Uuid::now_v7();
        let users = parse_users(&format!("{a}\t{b}\tbench_0000001\n\n")).unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!(users[0].username, "bench_0000001");
        assert_eq!(users[0].sid, b);
        assert!(parse_users("nope\tx").is_err());
    }

    #[test]
    fn tokens_carry_the_apis_claims() {
        let m = Minter::new("s3cret-s3cret-s3cret-s3cret-s3cret", "moji", "moji").unwrap();
        let user = User {
            id: Uuid::now_v7(),
            sid: Uuid::now_v7(),
            username: "bench_1".into(),
        };
        let token = m.access_token(&user).unwrap();
        let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        v.set_issuer(&["moji"]);
        v.set_audience(&["moji"]);
        let key = jsonwebtoken::DecodingKey::from_secret(b"s3cret-s3cret-s3cret-s3cret-s3cret");
        let c = jsonwebtoken::decode::<Claims>(&token, &key, &v)
            .unwrap()
            .claims;
        assert_eq!((c.sub, c.sid), (user.id, user.sid));
        assert_eq!((c.typ.as_str(), c.role.as_str()), ("access", "user"));
        assert!(Minter::new("", "moji", "moji").is_err());
    }

    #[test]
    fn frames_are_booked() {
        let clock = Clock::new();
        let state: Shared = Arc::default();
        assert_eq!(
            book(
                r#"{"v":1,"type":"ready","user":"bench_1","rooms":{"r1":4}}"#,
                "bench_1",
                &clock,
                &state
            ),
            Booked::Ready(HashMap::from([("r1".to_owned(), 4)]))
        );
        assert_eq!(
            book(
                r#"{"v":1,"type":"resumed","rooms":{"r1":4}}"#,
                "bench_1",
                &clock,
                &state
            ),
            Booked::Resumed
        );
        let resume: serde_json::Value =
            serde_json::from_str(&resume_frame(&HashMap::from([("r1".to_owned(), 4)]))).unwrap();
        assert_eq!(resume["type"], "resume");
        assert_eq!(resume["rooms"]["r1"], 4);
        let sent = clock.now_us();
        let msg = |seq: i64, g: u64, sender: &str| {
            format!(
                r#"{{"v":1,"type":"message","room_id":"r1","seq":{seq},"id":"x","sender":"{sender}","text":"{}","sent_at":"t","client_msg_id":"{}"}}"#,
                stats::message_text(sent),
                stats::client_msg_id(&clock.run, g)
            )
        };
        assert_eq!(
            book(&msg(5, 0, "bench_2"), "bench_1", &clock, &state),
            Booked::Other
        );
        assert_eq!(
            book(&msg(6, 1, "bench_1"), "bench_1", &clock, &state),
            Booked::Other
        );
        book(
            &format!(
                r#"{{"v":1,"type":"ack","client_msg_id":"{}","room_id":"r1","seq":6,"id":"x","sent_at":"t"}}"#,
                stats::client_msg_id(&clock.run, 1)
            ),
            "bench_1",
            &clock,
            &state,
        );
        // An earlier run's message keeps the order check but is not one of ours.
        book(
            &format!(
                r#"{{"v":1,"type":"message","room_id":"r1","seq":7,"id":"x","sender":"bench_2","text":"{}","sent_at":"t","client_msg_id":"bffffffffffff-0"}}"#,
                stats::message_text(sent)
            ),
            "bench_1",
            &clock,
            &state,
        );
        book(
            r#"{"v":1,"type":"error","code":"rate_limited","message":"slow down","ref":"b2"}"#,
            "bench_1",
            &clock,
            &state,
        );
        book("not json", "bench_1", &clock, &state);
        let mut s = lock(&state);
        assert_eq!(s.acked, vec![(1, 6)]);
        assert_eq!(s.errors.get("rate_limited"), Some(&1));
        assert_eq!(s.errors.get("unparsed_frame"), Some(&1));
        let w = s.inbox.take_window();
        assert_eq!(w.received, vec![0, 1]);
        assert_eq!((w.gaps, w.out_of_order, w.own), (0, 0, 1));
        assert_eq!(w.latencies_us.len(), 2);
    }
}
