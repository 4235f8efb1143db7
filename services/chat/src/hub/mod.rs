//! The hub: one task per replica that routes room events to this replica's sockets.
//!
//! Events come from this replica's own writes and from other replicas over RabbitMQ, in no
//! guaranteed order. The hub puts each room's stored events back in seq order (holding an
//! early one for `chat.gap_wait_ms`, then reading the missing ones from PostgreSQL) and hands
//! each event to every local socket of the room's members through that socket's bounded queue.
//! A socket whose queue is full is closed with 1013: one slow client never holds up a room.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::Arc,
    time::{Duration, Instant},
};

use moji_db::{chat::StoredEvent, Db};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::metrics;

mod events;

pub use events::{frame_type, CloseReason, Closer, Membership, RoomEvent, SocketHandle};

/// Rows read per gap fill.
const FILL_BATCH: i64 = 500;

enum Command {
    Register(SocketHandle, Vec<(Uuid, i64)>),
    Follow(u64, Vec<(Uuid, i64)>),
    Unregister(u64),
    Event(Arc<RoomEvent>),
    Filled(Uuid, Result<Vec<StoredEvent>, String>),
    LatestSeqs(Vec<(Uuid, i64)>),
    Resubscribed,
    CloseUser(Uuid, CloseReason),
    Sessions(oneshot::Sender<Vec<SocketHandle>>),
    Close(Vec<u64>, CloseReason),
}

/// The hub's handle; cheap to clone.
#[derive(Clone)]
pub struct Hub {
    tx: mpsc::UnboundedSender<Command>,
}

impl Hub {
    /// Starts the hub task; it runs until `shutdown` is cancelled.
    pub fn start(db: Db, gap_wait: Duration, shutdown: CancellationToken) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let state = Routes {
            db,
            gap_wait,
            tx: tx.clone(),
            sockets: HashMap::new(),
            by_user: HashMap::new(),
            followed: HashMap::new(),
            rooms: HashMap::new(),
        };
        tokio::spawn(state.run(rx, shutdown));
        Self { tx }
    }

    fn send(&self, command: Command) {
        // The hub only stops at shutdown, when nothing needs routing any more.
        let _ = self.tx.send(command);
    }

    /// Adds a socket to the rooms it is in, with each room's latest seq as the socket read it.
    pub fn register(&self, socket: SocketHandle, rooms: Vec<(Uuid, i64)>) {
        self.send(Command::Register(socket, rooms));
    }

    /// Adds a registered socket to more rooms (ones it joined while registering).
    pub fn follow(&self, id: u64, rooms: Vec<(Uuid, i64)>) {
        self.send(Command::Follow(id, rooms));
    }

    /// Removes a socket (it closed).
    pub fn unregister(&self, id: u64) {
        self.send(Command::Unregister(id));
    }

    /// Routes an event to the local sockets of its room.
    pub fn publish(&self, event: Arc<RoomEvent>) {
        self.send(Command::Event(event));
    }

    /// The fan-out subscription was lost and is back: catch up from PostgreSQL.
    pub fn resubscribed(&self) {
        self.send(Command::Resubscribed);
    }

    /// Closes every local socket of `user`.
    pub fn close_user(&self, user: Uuid, reason: CloseReason) {
        self.send(Command::CloseUser(user, reason));
    }

    /// Closes these sockets.
    pub fn close(&self, ids: Vec<u64>, reason: CloseReason) {
        self.send(Command::Close(ids, reason));
    }

    /// Every local socket (for revocation checks).
    pub async fn sockets(&self) -> Vec<SocketHandle> {
        let (tx, rx) = oneshot::channel();
        self.send(Command::Sessions(tx));
        rx.await.unwrap_or_default()
    }
}

/// One room's local routing and ordering state.
#[derive(Default)]
struct Room {
    sockets: HashSet<u64>,
    /// The next seq to hand out; `None` until the first stored event is seen.
    next: Option<i64>,
    /// Stored events that arrived ahead of `next`.
    pending: BTreeMap<i64, Arc<RoomEvent>>,
    /// When the oldest pending event stops waiting and the gap is read from PostgreSQL.
    deadline: Option<Instant>,
    /// A fill is running.
    filling: bool,
}

struct Routes {
    db: Db,
    gap_wait: Duration,
    tx: mpsc::UnboundedSender<Command>,
    sockets: HashMap<u64, SocketHandle>,
    by_user: HashMap<Uuid, HashSet<u64>>,
    /// The rooms each socket is routed in (so a closing socket leaves them without a scan).
    followed: HashMap<u64, HashSet<Uuid>>,
    rooms: HashMap<Uuid, Room>,
}

impl Routes {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Command>, shutdown: CancellationToken) {
        let tick = (self.gap_wait / 2).max(Duration::from_millis(10));
        let mut ticker = tokio::time::interval(tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                command = rx.recv() => match command {
                    Some(command) => self.handle(command),
                    None => break,
                },
                _ = ticker.tick() => self.start_due_fills(),
            }
        }
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Register(socket, rooms) => {
                self.by_user
                    .entry(socket.user_id)
                    .or_default()
                    .insert(socket.id);
                let id = socket.id;
                self.sockets.insert(id, socket);
                self.follow(id, rooms);
            }
            Command::Follow(id, rooms) => {
                if self.sockets.contains_key(&id) {
                    self.follow(id, rooms);
                }
            }
            Command::Unregister(id) => self.remove_socket(id),
            Command::Event(event) => self.accept(event),
            Command::Filled(room, result) => self.filled(room, result),
            Command::LatestSeqs(latest) => {
                for (room_id, last) in latest {
                    if let Some(room) = self.rooms.get_mut(&room_id) {
                        if room.next.is_some_and(|next| last >= next) {
                            room.deadline.get_or_insert_with(Instant::now);
                        }
                    }
                }
            }
            Command::Resubscribed => self.catch_up(),
            Command::CloseUser(user, reason) => {
                let ids: Vec<u64> = self
                    .by_user
                    .get(&user)
                    .map(|s| s.iter().copied().collect())
                    .unwrap_or_default();
                self.close_sockets(&ids, reason);
            }
            Command::Close(ids, reason) => self.close_sockets(&ids, reason),
            Command::Sessions(reply) => {
                let _ = reply.send(self.sockets.values().cloned().collect());
            }
        }
    }

    fn follow(&mut self, id: u64, rooms: Vec<(Uuid, i64)>) {
        let followed = self.followed.entry(id).or_default();
        for (room_id, last_seq) in rooms {
            let room = self.rooms.entry(room_id).or_default();
            room.sockets.insert(id);
            room.next.get_or_insert(last_seq + 1);
            followed.insert(room_id);
        }
    }

    fn close_sockets(&mut self, ids: &[u64], reason: CloseReason) {
        for id in ids {
            if let Some(socket) = self.sockets.get(id) {
                socket.closer.close(reason);
            }
            self.remove_socket(*id);
        }
    }

    fn remove_socket(&mut self, id: u64) {
        let Some(socket) = self.sockets.remove(&id) else {
            return;
        };
        if let Some(set) = self.by_user.get_mut(&socket.user_id) {
            set.remove(&id);
            if set.is_empty() {
                self.by_user.remove(&socket.user_id);
            }
        }
        for room_id in self.followed.remove(&id).unwrap_or_default() {
            if let Some(room) = self.rooms.get_mut(&room_id) {
                room.sockets.remove(&id);
                if room.sockets.is_empty() {
                    self.rooms.remove(&room_id);
                }
            }
        }
    }

    /// Takes one event in: ephemeral ones go out at once, stored ones in seq order.
    fn accept(&mut self, event: Arc<RoomEvent>) {
        let Some(seq) = event.seq else {
            self.deliver(&event);
            return;
        };
        let joining_here = matches!(event.membership, Some(Membership::Joined(u)) if self.by_user.contains_key(&u));
        if !self.rooms.contains_key(&event.room_id) && !joining_here {
            return; // nobody here is in the room
        }
        let room = self.rooms.entry(event.room_id).or_default();
        let next = *room.next.get_or_insert(seq);
        if seq < next {
            return; // seen already (our own write coming back, or a fill overtook it)
        }
        let room_id = event.room_id;
        room.pending.insert(seq, event);
        if seq > next {
            room.deadline
                .get_or_insert_with(|| Instant::now() + self.gap_wait);
        }
        self.drain(room_id);
    }

    /// Hands out the room's pending events that are next in line.
    fn drain(&mut self, room_id: Uuid) {
        loop {
            let Some(room) = self.rooms.get_mut(&room_id) else {
                return;
            };
            let Some(next) = room.next else { return };
            let Some(event) = room.pending.remove(&next) else {
                if room.pending.is_empty() {
                    room.deadline = None;
                }
                return;
            };
            room.next = Some(next + 1);
            self.deliver(&event);
        }
    }

    /// Queues `event` on every local socket of its room, applying membership changes.
    fn deliver(&mut self, event: &Arc<RoomEvent>) {
        if let Some(Membership::Joined(user)) = event.membership {
            if let Some(ids) = self.by_user.get(&user) {
                let room = self.rooms.entry(event.room_id).or_default();
                room.sockets.extend(ids.iter().copied());
                for id in ids {
                    self.followed.entry(*id).or_default().insert(event.room_id);
                }
            }
        }
        let Some(room) = self.rooms.get(&event.room_id) else {
            return;
        };
        let mut slow = Vec::new();
        for id in &room.sockets {
            let Some(socket) = self.sockets.get(id) else {
                continue;
            };
            match socket.queue.try_send(event.clone()) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => slow.push(*id),
                // The socket is closing; its Unregister is on the way.
                Err(mpsc::error::TrySendError::Closed(_)) => {}
            }
        }
        if !slow.is_empty() {
            metrics::SLOW_CLOSES.inc_by(slow.len() as u64);
            self.close_sockets(&slow, CloseReason::Slow);
        }
        if let Some(Membership::Left(user)) = event.membership {
            let ids: Vec<u64> = self
                .by_user
                .get(&user)
                .map(|s| s.iter().copied().collect())
                .unwrap_or_default();
            for id in &ids {
                if let Some(followed) = self.followed.get_mut(id) {
                    followed.remove(&event.room_id);
                }
            }
            if let Some(room) = self.rooms.get_mut(&event.room_id) {
                for id in ids {
                    room.sockets.remove(&id);
                }
                if room.sockets.is_empty() {
                    self.rooms.remove(&event.room_id);
                }
            }
        }
    }

    /// Starts reading the gaps whose wait is over from PostgreSQL.
    fn start_due_fills(&mut self) {
        let now = Instant::now();
        for (room_id, room) in &mut self.rooms {
            let due = room.deadline.is_some_and(|d| d <= now);
            if !due || room.filling {
                continue;
            }
            let Some(next) = room.next else { continue };
            room.filling = true;
            metrics::GAP_FILLS.inc();
            let (db, tx, room_id) = (self.db.clone(), self.tx.clone(), *room_id);
            tokio::spawn(async move {
                let read = db
                    .run(move |c| moji_db::chat::events_after(c, room_id, next - 1, FILL_BATCH))
                    .await
                    .map_err(|e| e.to_string());
                let _ = tx.send(Command::Filled(room_id, read));
            });
        }
    }

    fn filled(&mut self, room_id: Uuid, result: Result<Vec<StoredEvent>, String>) {
        let Some(room) = self.rooms.get_mut(&room_id) else {
            return;
        };
        room.filling = false;
        let events = match result {
            Ok(events) => events,
            Err(e) => {
                // Try again after another wait.
                tracing::warn!(%room_id, error = %e, "reading a fan-out gap failed");
                room.deadline = Some(Instant::now() + self.gap_wait);
                return;
            }
        };
        let full = events.len() as i64 == FILL_BATCH;
        for event in &events {
            self.accept(Arc::new(RoomEvent::stored(event)));
        }
        let Some(room) = self.rooms.get_mut(&room_id) else {
            return;
        };
        if full {
            // More rows than one read: keep going at the next tick.
            room.deadline = Some(Instant::now());
            return;
        }
        room.deadline = None;
        if let Some(first) = room.pending.keys().next().copied() {
            // Everything pending was stored before it was published, so the read above saw
            // it; a hole left now cannot fill. Skip it rather than hold the room forever.
            tracing::warn!(%room_id, from = ?room.next, to = first, "unfillable fan-out gap skipped");
            room.next = Some(first);
            self.drain(room_id);
        }
    }

    /// After a lost subscription: read each routed room's latest seq, and fill what was missed.
    fn catch_up(&mut self) {
        let rooms: Vec<Uuid> = self.rooms.keys().copied().collect();
        if rooms.is_empty() {
            return;
        }
        let (db, tx) = (self.db.clone(), self.tx.clone());
        tokio::spawn(async move {
            match db.run(move |c| moji_db::chat::latest_seqs(c, &rooms)).await {
                Ok(latest) => {
                    let _ = tx.send(Command::LatestSeqs(latest));
                }
                Err(e) => tracing::warn!(error = %e, "catching up after a lost subscription"),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn event(room: Uuid, seq: i64) -> Arc<RoomEvent> {
        Arc::new(RoomEvent {
            room_id: room,
            seq: Some(seq),
            membership: None,
            stored_at: Utc::now(),
            text: format!("{seq}"),
            kind: "message",
        })
    }

    fn socket(id: u64, queue: usize) -> (SocketHandle, mpsc::Receiver<Arc<RoomEvent>>) {
        let (tx, rx) = mpsc::channel(queue);
        let handle = SocketHandle {
            id,
            user_id: Uuid::now_v7(),
            token_id: Uuid::now_v7(),
            session_id: Uuid::now_v7(),
            queue: tx,
            closer: Arc::default(),
        };
        (handle, rx)
    }

    /// A hub whose database is never reached (gap waits are long).
    fn hub() -> Hub {
        let db = Db::connect(
            "postgres://nobody@127.0.0.1:1/none",
            1,
            Duration::from_millis(10),
        )
        .unwrap();
        Hub::start(db, Duration::from_secs(60), CancellationToken::new())
    }

    async fn next_seq(rx: &mut mpsc::Receiver<Arc<RoomEvent>>) -> i64 {
        tokio::time::timeout(Duration::from_secs(2), rx.recv())
            .await
            .unwrap()
            .unwrap()
            .seq
            .unwrap()
    }

    #[tokio::test]
    async fn events_out_of_order_go_out_in_seq_order_once() {
        let hub = hub();
        let room = Uuid::now_v7();
        let (handle, mut rx) = socket(1, 16);
        hub.register(handle, vec![(room, 10)]);
        for seq in [12, 11, 11, 13, 10, 12] {
            hub.publish(event(room, seq));
        }
        assert_eq!(next_seq(&mut rx).await, 11);
        assert_eq!(next_seq(&mut rx).await, 12);
        assert_eq!(next_seq(&mut rx).await, 13);
        assert!(
            tokio::time::timeout(Duration::from_millis(100), rx.recv())
                .await
                .is_err(),
            "duplicates and old seqs are dropped"
        );
    }

    #[tokio::test]
    async fn a_full_queue_closes_only_that_socket_as_slow() {
        let hub = hub();
        let room = Uuid::now_v7();
        let (slow, _never_read) = socket(1, 2);
        let slow_closer = slow.closer.clone();
        let (fast, mut rx) = socket(2, 16);
        hub.register(slow, vec![(room, 0)]);
        hub.register(fast, vec![(room, 0)]);
        for seq in 1..=5 {
            hub.publish(event(room, seq));
        }
        for seq in 1..=5 {
            assert_eq!(next_seq(&mut rx).await, seq);
        }
        let reason = tokio::time::timeout(Duration::from_secs(1), slow_closer.closed())
            .await
            .unwrap();
        assert_eq!(reason, CloseReason::Slow);
        assert_eq!(hub.sockets().await.len(), 1, "the slow one is gone");
    }

    #[tokio::test]
    async fn a_member_joining_starts_receiving_and_leaving_stops() {
        let hub = hub();
        let room = Uuid::now_v7();
        let (handle, mut rx) = socket(1, 16);
        let user = handle.user_id;
        hub.register(handle, vec![]);
        let mut joined = RoomEvent::ephemeral(room, &serde_json::json!({"type": "member_joined"}));
        joined.seq = Some(5);
        joined.membership = Some(Membership::Joined(user));
        hub.publish(Arc::new(joined));
        assert_eq!(next_seq(&mut rx).await, 5);
        hub.publish(event(room, 6));
        assert_eq!(next_seq(&mut rx).await, 6);
        let mut left = RoomEvent::ephemeral(room, &serde_json::json!({"type": "member_left"}));
        left.seq = Some(7);
        left.membership = Some(Membership::Left(user));
        hub.publish(Arc::new(left));
        assert_eq!(next_seq(&mut rx).await, 7);
        hub.publish(event(room, 8));
        assert!(tokio::time::timeout(Duration::from_millis(100), rx.recv())
            .await
            .is_err());
    }
}
