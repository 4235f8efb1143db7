//! The kill test: two chat replicas as real processes, 100 people in shared rooms sending;
//! one replica is SIGKILLed mid-way. Every client reconnects to the survivor and resumes;
//! afterwards every client holds every event of its rooms, gap-free and without duplicates,
//! and every acked message is in PostgreSQL exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{
    collections::HashMap,
    net::SocketAddr,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use common::{env, person, Person};
use futures_util::{SinkExt, StreamExt};
use moji_testkit::TestEnv;
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

const PEOPLE: usize = 100;
const GROUP: usize = 10;
const MESSAGES_EACH: usize = 10;

/// A `moji-chat` process of this test's own.
struct Process {
    child: Child,
    addr: SocketAddr,
}

impl Process {
    fn spawn(env: &TestEnv) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let s = &env.settings;
        let child = Command::new(env!("CARGO_BIN_EXE_moji-chat"))
            .env("DATABASE_URL", &s.database.url)
            .env("REDIS_URL", &s.redis.url)
            .env("AMQP_URL", &s.amqp.url)
            .env("MOJI_REDIS__KEY_PREFIX", &s.redis.key_prefix)
            .env("MOJI_AMQP__PREFIX", &s.amqp.prefix)
            .env("MOJI_JWT__SECRET", &s.jwt.secret)
            .env("MOJI_HTTP__HOST", "127.0.0.1")
            .env("MOJI_HTTP__CHAT_PORT", port.to_string())
            .env("MOJI_DATABASE__POOL_SIZE", "8")
            .env("MOJI_CHAT__SEND_LIMIT", "100000")
            .env("MOJI_CHAT__GAP_WAIT_MS", "50")
            .env("MOJI_CHAT__OUTBOUND_QUEUE", "1024")
            .env("MOJI_TELEMETRY__LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start moji-chat");
        Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
        }
    }

    async fn ready(&self) {
        let url = format!("http://{}/readyz", self.addr);
        for _ in 0..200 {
            if let Ok(r) = reqwest::get(&url).await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("moji-chat at {} never became ready", self.addr);
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What one client saw and got acknowledged.
#[derive(Default)]
struct Log {
    /// Seqs received per room, across connections, in arrival order.
    seqs: HashMap<Uuid, Vec<i64>>,
    /// Seq of each room when the first connection was ready.
    start: HashMap<Uuid, i64>,
    /// `(client_msg_id, room, seq)` of every ack.
    acked: Vec<(String, Uuid, i64)>,
    connections: usize,
}

/// One person: sends `MESSAGES_EACH` messages alternating over `rooms`, one at a time,
/// reconnecting (to whichever replica answers) and resuming after any loss, and resending an
/// unacknowledged message with its original `client_msg_id`. Returns when every room has
/// reached the final seq announced on `targets`.
async fn client(
    who: Person,
    addrs: Vec<SocketAddr>,
    rooms: Vec<Uuid>,
    sent_all: Arc<AtomicUsize>,
    mut targets: watch::Receiver<Option<HashMap<Uuid, i64>>>,
) -> Log {
    let mut log = Log::default();
    let mut last: HashMap<Uuid, i64> = HashMap::new();
    let mut next = 0usize;
    let mut announced = false;
    let mut attempt = 0usize;
    loop {
        let addr = addrs[attempt % addrs.len()];
        attempt += 1;
        let url = format!("ws://{addr}/api/v1/chat/ws?access_token={}", who.token);
        let Ok(Ok((ws, _))) = tokio::time::timeout(
            Duration::from_secs(3),
            tokio_tungstenite::connect_async(url),
        )
        .await
        else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        log.connections += 1;
        let (mut sink, mut stream) = ws.split();
        let mut outstanding: Option<String> = None;
        let mut resumed = false;
        loop {
            // Send the next message once the previous one is acked (and any resume is done).
            let ready_to_send = outstanding.is_none()
                && next < MESSAGES_EACH
                && (resumed || log.connections == 1)
                && !last.is_empty();
            if ready_to_send {
                let id = format!("{}-{next}", who.username);
                let room = rooms[next % rooms.len()];
                let frame = json!({"v": 1, "type": "send", "room_id": room, "client_msg_id": id, "text": format!("{id} says hi")});
                if sink.send(Message::text(frame.to_string())).await.is_err() {
                    break;
                }
                outstanding = Some(id);
            }
            if next == MESSAGES_EACH && !announced {
                announced = true;
                sent_all.fetch_add(1, Ordering::SeqCst);
            }
            if let Some(t) = targets.borrow().as_ref() {
                if rooms
                    .iter()
                    .all(|r| last.get(r).copied().unwrap_or(0) >= t[r])
                {
                    return log;
                }
            }
            let frame = tokio::select! {
                f = tokio::time::timeout(Duration::from_secs(2), stream.next()) => f,
                _ = targets.changed() => continue,
            };
            let text = match frame {
                Ok(Some(Ok(Message::Text(text)))) => text,
                Ok(Some(Ok(Message::Close(_)))) | Ok(Some(Err(_))) | Ok(None) => break,
                Ok(Some(Ok(_))) => continue,
                // Quiet: an unacked send may have died with the replica; resend it.
                Err(_) => {
                    if outstanding.is_some() {
                        break;
                    }
                    continue;
                }
            };
            let frame: Value = serde_json::from_str(&text).unwrap();
            match frame["type"].as_str().unwrap() {
                "ready" => {
                    let positions: HashMap<Uuid, i64> =
                        serde_json::from_value(frame["rooms"].clone()).unwrap();
                    if log.connections == 1 {
                        log.start = positions.clone();
                        last = positions;
                    } else {
                        let rooms: HashMap<String, i64> =
                            last.iter().map(|(k, v)| (k.to_string(), *v)).collect();
                        let resume = json!({"v": 1, "type": "resume", "rooms": rooms});
                        if sink.send(Message::text(resume.to_string())).await.is_err() {
                            break;
                        }
                    }
                }
                "resumed" => resumed = true,
                "message" | "member_joined" | "member_left" => {
                    let room: Uuid = frame["room_id"].as_str().unwrap().parse().unwrap();
                    let seq = frame["seq"].as_i64().unwrap();
                    log.seqs.entry(room).or_default().push(seq);
                    let l = last.entry(room).or_insert(0);
                    *l = (*l).max(seq);
                }
                "ack" => {
                    let id = frame["client_msg_id"].as_str().unwrap().to_owned();
                    let room: Uuid = frame["room_id"].as_str().unwrap().parse().unwrap();
                    log.acked
                        .push((id.clone(), room, frame["seq"].as_i64().unwrap()));
                    if outstanding.as_deref() == Some(id.as_str()) {
                        outstanding = None;
                        next += 1;
                    }
                }
                "error" => panic!("{}: unexpected error frame {frame}", who.username),
                _ => {}
            }
        }
        // Lost: reconnect (to the next address) and resume.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_of_a_replica_loses_no_message_and_clients_resume_on_the_other() {
    let env = env();
    let mut a = Process::spawn(&env);
    let b = Process::spawn(&env);
    a.ready().await;
    b.ready().await;

    let people: Vec<Person> = (0..PEOPLE)
        .map(|i| person(&env, &format!("p{i:03}")))
        .collect();
    // Ten rooms of ten, and one room of everybody.
    let http = reqwest::Client::new();
    let create = |owner: &Person, name: String, members: Vec<String>| {
        let req = http
            .post(format!("http://{}/api/v1/chat/rooms", a.addr))
            .bearer_auth(&owner.token)
            .json(&json!({"name": name, "members": members}));
        async move {
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 201);
            let body: Value = resp.json().await.unwrap();
            body["id"].as_str().unwrap().parse::<Uuid>().unwrap()
        }
    };
    let everyone = create(
        &people[0],
        "everyone".into(),
        people[1..].iter().map(|p| p.username.clone()).collect(),
    )
    .await;
    let mut groups = Vec::new();
    for g in 0..PEOPLE / GROUP {
        let members = &people[g * GROUP..(g + 1) * GROUP];
        let id = create(
            &members[0],
            format!("group {g}"),
            members[1..].iter().map(|p| p.username.clone()).collect(),
        )
        .await;
        groups.push(id);
    }

    let sent_all = Arc::new(AtomicUsize::new(0));
    let (targets_tx, targets_rx) = watch::channel(None);
    let mut tasks = Vec::new();
    for (i, p) in people.iter().enumerate() {
        // Half start on A, half on B; after a loss each tries the other first.
        let addrs = if i % 2 == 0 {
            vec![a.addr, b.addr]
        } else {
            vec![b.addr, a.addr]
        };
        let rooms = vec![everyone, groups[i / GROUP]];
        tasks.push(tokio::spawn(client(
            p.clone(),
            addrs,
            rooms,
            sent_all.clone(),
            targets_rx.clone(),
        )));
    }
    // Kill A while everyone is sending: once a tenth of the messages are stored (however
    // slow the machine is today), well before the last.
    let stored = || {
        env.db
            .execute("SELECT 1 FROM chat_messages WHERE kind = 'text'")
    };
    let mut waited = 0;
    while stored() < PEOPLE * MESSAGES_EACH / 10 {
        assert!(waited < 600, "nothing was being sent after 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    a.child.kill().unwrap(); // SIGKILL
    a.child.wait().unwrap();
    let killed_at = std::time::Instant::now();
    let acked_before_kill = env
        .db
        .execute("SELECT 1 FROM chat_messages WHERE kind = 'text'");

    let waiting = async {
        while sent_all.load(Ordering::SeqCst) < PEOPLE {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(120), waiting)
        .await
        .expect("every client sent all its messages");
    let resumed_after = killed_at.elapsed();
    let mut conn = <diesel::PgConnection as diesel::Connection>::establish(&env.db.url).unwrap();
    let finals: HashMap<Uuid, i64> = {
        use diesel::{prelude::*, sql_types};
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = sql_types::Uuid)]
            id: Uuid,
            #[diesel(sql_type = sql_types::BigInt)]
            last_seq: i64,
        }
        diesel::sql_query("SELECT id, last_seq FROM chat_rooms")
            .load::<Row>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r.last_seq))
            .collect()
    };
    targets_tx.send(Some(finals.clone())).unwrap();
    let mut logs = Vec::new();
    for task in tasks {
        logs.push(
            tokio::time::timeout(Duration::from_secs(60), task)
                .await
                .expect("every client caught up")
                .unwrap(),
        );
    }

    let settled_after = killed_at.elapsed();

    // The test's exchanges and quorum queues go (leftovers stall a small broker).
    let broker = moji_mq::Broker::exchanges_only(&env.settings.amqp, "kill-test-cleanup")
        .await
        .unwrap();
    broker.delete_topology().await.unwrap();

    assert!(
        acked_before_kill > 0,
        "the kill came while messages were flowing"
    );
    let text_rows = env
        .db
        .execute("SELECT 1 FROM chat_messages WHERE kind = 'text'");
    assert_eq!(
        text_rows,
        PEOPLE * MESSAGES_EACH,
        "every message stored exactly once"
    );
    // One line for scripts/chaos.sh's table (kill-chat), before any assertion can stop us.
    let disordered = people
        .iter()
        .zip(&logs)
        .filter(|(_, log)| {
            log.start.iter().any(|(room, start)| {
                let expected: Vec<i64> = (start + 1..=finals[room]).collect();
                log.seqs.get(room).cloned().unwrap_or_default() != expected
            })
        })
        .count();
    println!(
        "chaos-row kill-chat sent={} stored={text_rows} lost={} dup={disordered} recovery={:.1} settled={:.1}",
        PEOPLE * MESSAGES_EACH,
        (PEOPLE * MESSAGES_EACH).saturating_sub(text_rows),
        resumed_after.as_secs_f64(),
        settled_after.as_secs_f64(),
    );
    let reconnected = logs.iter().filter(|l| l.connections > 1).count();
    assert!(
        reconnected >= PEOPLE / 2,
        "A's clients reconnected ({reconnected})"
    );
    for (p, log) in people.iter().zip(&logs) {
        for (room, start) in &log.start {
            let expected: Vec<i64> = (start + 1..=finals[room]).collect();
            assert_eq!(
                log.seqs.get(room).cloned().unwrap_or_default(),
                expected,
                "{} in room {room}: gap, duplicate or disorder",
                p.username
            );
        }
        let mut ids: Vec<&str> = log.acked.iter().map(|(id, _, _)| id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(
            ids.len(),
            MESSAGES_EACH,
            "{}: every message acked",
            p.username
        );
        for (id, room, seq) in &log.acked {
            let found = env.db.execute(&format!(
                "SELECT 1 FROM chat_messages WHERE room_id = '{room}' AND seq = {seq} \
                 AND client_msg_id = '{id}' AND sender_id = '{}'",
                p.id
            ));
            assert_eq!(found, 1, "acked {id} (seq {seq}) is in PostgreSQL");
        }
    }
}
