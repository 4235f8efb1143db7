//! Shared helpers of the chat integration tests: replicas on real PostgreSQL, Redis and
//! RabbitMQ (each test its own database, key prefix and AMQP names), people with tokens, and
//! a small WebSocket client.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use std::{collections::HashMap, net::SocketAddr, time::Duration};

use futures_util::{SinkExt, StreamExt};
use moji_auth::{JwtKeys, Role, TokenType};
use moji_config::Settings;
use moji_testkit::TestEnv;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    tungstenite::{client::IntoClientRequest, protocol::CloseFrame, Message},
    MaybeTlsStream, WebSocketStream,
};
use uuid::Uuid;

/// A test's own environment with chat settings suited to tests.
pub fn env() -> TestEnv {
    let mut env = TestEnv::new();
    env.settings.chat.revocation_check_secs = 1;
    env.settings.chat.gap_wait_ms = 50;
    env
}

/// One chat replica running in this process.
pub struct Replica {
    pub running: moji_chat::Running,
    pub state: moji_chat::ChatState,
}

impl Replica {
    /// Starts a replica with `settings` on a free port.
    pub async fn start(settings: &Settings) -> Self {
        let state = moji_chat::ChatState::connect(settings.clone())
            .await
            .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let running = moji_chat::start(state.clone(), listener).unwrap();
        // Wait until the fan-out queue exists, so nothing published from now on misses it.
        let queue = state.broker.topology().chat_replica_queue(&state.replica);
        for _ in 0..100 {
            if state.broker.queue_len(&queue).await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Self { running, state }
    }

    pub fn addr(&self) -> SocketAddr {
        self.running.addr
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr())
    }

    /// Stops it gracefully (sockets get 1012) and deletes the test's exchanges and queues:
    /// hundreds of leftover quorum queues stall a small broker. (Deleting twice, for the
    /// second replica of a test, is harmless.)
    pub async fn stop(self) {
        self.running.shutdown.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.running.done).await;
        let _ = self.state.broker.delete_topology().await;
    }
}

/// A person with an access token.
#[derive(Clone, Debug)]
pub struct Person {
    pub id: Uuid,
    pub username: String,
    pub token: String,
    pub session_id: Uuid,
    pub token_id: Uuid,
}

/// Creates `username` in the test database and mints an access token like the api does.
pub fn person(env: &TestEnv, username: &str) -> Person {
    let id = Uuid::now_v7();
    env.db.execute(&format!(
        "INSERT INTO users (id, username, email, display_name, password_hash, role) VALUES \
         ('{id}', '{username}', '{username}@example.com', '{username}', 'x', 'user')"
    ));
    let keys = JwtKeys::new(&env.settings.jwt, env.settings.jwt.secret.as_bytes());
    let (sid, jti) = (Uuid::now_v7(), Uuid::now_v7());
    let minted = keys
        .mint(TokenType::Access, id, Role::User, sid, jti)
        .unwrap();
    Person {
        id,
        username: username.to_owned(),
        token: minted.token,
        session_id: sid,
        token_id: jti,
    }
}

/// A REST call as `who`; returns status and JSON body (Null when empty).
pub async fn call(
    method: reqwest::Method,
    url: &str,
    who: &Person,
    body: Option<Value>,
) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut req = client.request(method, url).bearer_auth(&who.token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, value)
}

/// Creates a room on `replica` owned by `owner` with `members`; returns its id.
pub async fn room(replica: &Replica, owner: &Person, name: &str, members: &[&Person]) -> Uuid {
    let names: Vec<&str> = members.iter().map(|m| m.username.as_str()).collect();
    let (status, body) = call(
        reqwest::Method::POST,
        &replica.url("/api/v1/chat/rooms"),
        owner,
        Some(json!({"name": name, "members": names})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().parse().unwrap()
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A WebSocket client that keeps what it received.
pub struct Client {
    pub ws: Ws,
    pub who: Person,
    /// Every `message`/`member_*` frame received, per room, in arrival order (seqs).
    pub seqs: HashMap<Uuid, Vec<i64>>,
    /// Highest seq seen per room.
    pub last: HashMap<Uuid, i64>,
}

impl Client {
    /// Connects to `addr` as `who` and reads the `ready` frame.
    pub async fn connect(addr: SocketAddr, who: &Person) -> Self {
        Self::try_connect(addr, who).await.expect("connect")
    }

    /// Connects, or returns the error (e.g. a refused upgrade).
    pub async fn try_connect(
        addr: SocketAddr,
        who: &Person,
    ) -> Result<Self, tokio_tungstenite::tungstenite::Error> {
        let url = format!("ws://{addr}/api/v1/chat/ws?access_token={}", who.token);
        let (ws, _) = tokio_tungstenite::connect_async(url).await?;
        Ok(Self::ready(ws, who).await)
    }

    /// Connects through a socket with a tiny receive buffer (for slow-consumer tests).
    pub async fn connect_small_buffer(addr: SocketAddr, who: &Person) -> Self {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let stream = socket.connect(addr).await.unwrap();
        let url = format!("ws://{addr}/api/v1/chat/ws?access_token={}", who.token);
        let request = url.into_client_request().unwrap();
        let (ws, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream))
            .await
            .unwrap();
        Self::ready(ws, who).await
    }

    /// Reads `ready` on a fresh socket and starts live delivery.
    async fn ready(ws: Ws, who: &Person) -> Self {
        let mut client = Self {
            ws,
            who: who.clone(),
            seqs: HashMap::new(),
            last: HashMap::new(),
        };
        let ready = client.next_frame().await.expect("a ready frame");
        assert_eq!(ready["type"], "ready", "{ready}");
        client.start_live().await;
        client
    }

    /// What a first-time client does after `ready`: an empty `resume`, so live events start
    /// at once instead of after `chat.resume_wait_ms`.
    async fn start_live(&mut self) {
        self.send(json!({"v": 1, "type": "resume", "rooms": {}}))
            .await;
        self.until("resumed").await;
    }

    /// Sends one frame.
    pub async fn send(&mut self, frame: Value) {
        self.ws
            .send(Message::text(frame.to_string()))
            .await
            .unwrap();
    }

    /// Sends a text message.
    pub async fn say(&mut self, room: Uuid, client_msg_id: &str, text: &str) {
        self.send(json!({"v": 1, "type": "send", "room_id": room, "client_msg_id": client_msg_id, "text": text}))
            .await;
    }

    /// The next JSON frame within 5 s, or `None` when the socket closed.
    pub async fn next_frame(&mut self) -> Option<Value> {
        self.next_frame_within(Duration::from_secs(5)).await
    }

    /// The next JSON frame within `wait`; `None` on close or timeout.
    pub async fn next_frame_within(&mut self, wait: Duration) -> Option<Value> {
        loop {
            let next = tokio::time::timeout(wait, self.ws.next()).await.ok()??;
            match next {
                Ok(Message::Text(text)) => {
                    let value: Value = serde_json::from_str(&text).unwrap();
                    self.note(&value);
                    return Some(value);
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => continue,
            }
        }
    }

    /// Reads until a frame of `kind` arrives (keeping the others' seqs); panics after 5 s.
    pub async fn until(&mut self, kind: &str) -> Value {
        loop {
            let frame = self
                .next_frame()
                .await
                .unwrap_or_else(|| panic!("{}: no {kind} frame", self.who.username));
            if frame["type"] == kind {
                return frame;
            }
        }
    }

    /// Reads frames until the socket closes; returns the close code.
    pub async fn close_code(&mut self, wait: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let next = tokio::time::timeout(left, self.ws.next()).await.ok()?;
            match next {
                Some(Ok(Message::Close(frame))) => {
                    return frame.map(|f: CloseFrame| u16::from(f.code));
                }
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(&text).unwrap();
                    self.note(&value);
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    }

    fn note(&mut self, frame: &Value) {
        let kind = frame["type"].as_str().unwrap_or_default();
        if matches!(kind, "message" | "member_joined" | "member_left") {
            let room: Uuid = frame["room_id"].as_str().unwrap().parse().unwrap();
            let seq = frame["seq"].as_i64().unwrap();
            self.seqs.entry(room).or_default().push(seq);
            let last = self.last.entry(room).or_insert(0);
            *last = (*last).max(seq);
        }
    }

    /// Sends `resume` from the highest seqs seen and reads until `resumed`.
    pub async fn resume(&mut self) -> Value {
        let rooms: HashMap<String, i64> =
            self.last.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        self.send(json!({"v": 1, "type": "resume", "rooms": rooms}))
            .await;
        self.until("resumed").await
    }
}

/// Asserts `seqs` is exactly `from..=to`, in order, each once.
pub fn assert_gap_free(who: &str, seqs: &[i64], from: i64, to: i64) {
    let expected: Vec<i64> = (from..=to).collect();
    assert_eq!(
        seqs,
        expected.as_slice(),
        "{who} received seqs out of order, twice or not at all"
    );
}
