//! What each socket received, and what that adds up to: per-room seq order, duplicates, loss
//! against the set of stored (acked) messages, and fan-out latency percentiles.
//!
//! Every bench message carries its run's tag and its number `g` in its `client_msg_id`
//! (`b<run>-<g>`) and the time it was sent in its text, so a receiver knows which message it
//! holds and how late it is without asking anyone. The tag is new for every run: the service
//! stores a repeated `client_msg_id` of the same sender once and does not deliver it again, so
//! numbers reused by a later run against the same database would all be duplicates.

use std::collections::{HashMap, HashSet};

/// Nearest-rank percentiles of a set of latencies, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Percentiles {
    /// Samples.
    pub count: u64,
    /// Median.
    pub p50_us: u32,
    /// 99th percentile.
    pub p99_us: u32,
    /// Largest sample.
    pub max_us: u32,
}

/// The nearest-rank `q` quantile (0 < q <= 1) of sorted samples.
fn rank(sorted: &[u32], q: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    // Nearest rank: the smallest sample with at least q of the samples at or below it.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let k = (q * sorted.len() as f64).ceil() as usize;
    sorted[k.clamp(1, sorted.len()) - 1]
}

/// Sorts `samples` in place and reads p50, p99 and the maximum off them.
pub fn percentiles(samples: &mut [u32]) -> Percentiles {
    samples.sort_unstable();
    Percentiles {
        count: samples.len() as u64,
        p50_us: rank(samples, 0.50),
        p99_us: rank(samples, 0.99),
        max_us: samples.last().copied().unwrap_or(0),
    }
}

/// A fresh run tag: 12 random hex digits.
pub fn run_tag() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

/// The bench's `client_msg_id` for message `g` of run `run`.
pub fn client_msg_id(run: &str, g: u64) -> String {
    format!("b{run}-{g}")
}

/// Message number `g` back from a `client_msg_id`, if it is one of run `run`'s.
pub fn parse_client_msg_id(run: &str, id: &str) -> Option<u64> {
    let (tag, g) = id.strip_prefix('b')?.split_once('-')?;
    (tag == run).then(|| g.parse().ok()).flatten()
}

/// The bench's message text: the send time (µs since the run's epoch) and some filler, about
/// the length of a short chat line.
pub fn message_text(sent_us: u64) -> String {
    format!("bench {sent_us} the quick brown fox jumps over the lazy dog")
}

/// The send time back from a bench message's text.
pub fn parse_sent_us(text: &str) -> Option<u64> {
    let mut words = text.split(' ');
    (words.next() == Some("bench"))
        .then(|| words.next()?.parse().ok())
        .flatten()
}

/// Order state of one room on one socket.
#[derive(Debug, Default)]
struct RoomLog {
    /// Highest seq seen (or announced by `ready`).
    last_seq: i64,
    /// Seqs seen in the current window (duplicates are caught here).
    seen: HashSet<i64>,
}

/// One socket's receipts. Order state lives across windows; the rest is taken per window.
#[derive(Debug, Default)]
pub struct Inbox {
    rooms: HashMap<String, RoomLog>,
    window: Window,
}

/// What one socket received during one measurement window.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Window {
    /// Bench message numbers received (any order, duplicates included).
    pub received: Vec<u64>,
    /// Fan-out latency of each bench message received, µs.
    pub latencies_us: Vec<u32>,
    /// Deliveries that arrived before the window's sending ended.
    pub in_window: u64,
    /// Frames with a seq already seen on this socket.
    pub duplicates: u64,
    /// Frames with a seq below one already seen (a gap filled late), duplicates excluded.
    pub out_of_order: u64,
    /// Seqs skipped when a higher one arrived (filled later or lost).
    pub gaps: u64,
    /// Messages this socket's own user sent that came back to it.
    pub own: u64,
    /// When the last bench message arrived (µs since the run's epoch; 0 for none).
    pub last_us: u64,
}

/// One seq-carrying frame as the reader saw it.
#[derive(Debug, Clone, Copy)]
pub struct Receipt<'a> {
    /// Room id.
    pub room: &'a str,
    /// Its seq in the room.
    pub seq: i64,
    /// The bench message number, for bench text messages.
    pub g: Option<u64>,
    /// Fan-out latency, for bench text messages.
    pub latency_us: Option<u32>,
    /// Arrived before the window's sending ended.
    pub in_window: bool,
    /// Sent by this socket's own user.
    pub own: bool,
    /// When it arrived, µs since the run's epoch.
    pub at_us: u64,
}

impl Inbox {
    /// The room's latest seq when the socket opened (`ready`): the next one expected is `seq + 1`.
    pub fn start(&mut self, room: &str, seq: i64) {
        self.rooms.entry(room.to_owned()).or_default().last_seq = seq;
    }

    /// Records one frame that carries a seq (`message`, `member_joined`, `member_left`).
    pub fn on_frame(&mut self, r: Receipt<'_>) {
        let log = match self.rooms.get_mut(r.room) {
            Some(log) => log,
            None => self.rooms.entry(r.room.to_owned()).or_default(),
        };
        let w = &mut self.window;
        if !log.seen.insert(r.seq) {
            w.duplicates += 1;
        } else if r.seq <= log.last_seq {
            w.out_of_order += 1;
        } else {
            w.gaps += u64::try_from(r.seq - log.last_seq - 1).unwrap_or(0);
            log.last_seq = r.seq;
        }
        if let Some(g) = r.g {
            w.received.push(g);
            if r.in_window {
                w.in_window += 1;
            }
            if r.own {
                w.own += 1;
            }
            w.last_us = w.last_us.max(r.at_us);
        }
        if let Some(l) = r.latency_us {
            w.latencies_us.push(l);
        }
    }

    /// Whether the socket knows `room` (from `ready` or a frame).
    pub fn knows(&self, room: &str) -> bool {
        self.rooms.contains_key(room)
    }

    /// The rooms this socket knows.
    pub fn room_ids(&self) -> impl Iterator<Item = &str> {
        self.rooms.keys().map(String::as_str)
    }

    /// Messages of bench text received so far in this window.
    pub fn received(&self) -> usize {
        self.window.received.len()
    }

    /// Own messages echoed back so far in this window.
    pub fn own(&self) -> u64 {
        self.window.own
    }

    /// Ends the window: returns its receipts and forgets the seqs seen (order state stays).
    pub fn take_window(&mut self) -> Window {
        for log in self.rooms.values_mut() {
            log.seen.clear();
        }
        std::mem::take(&mut self.window)
    }
}

/// One window's receipts of all sockets, against what was stored.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    /// Sockets counted.
    pub sockets: u64,
    /// (socket, message) pairs that should have been delivered: acked messages × receivers.
    pub expected: u64,
    /// Of those, delivered (at least once).
    pub delivered: u64,
    /// Of those, never delivered.
    pub lost: u64,
    /// Frames received more than once.
    pub duplicates: u64,
    /// Frames received after a higher seq.
    pub out_of_order: u64,
    /// Seqs skipped at the time a higher one arrived.
    pub gaps: u64,
    /// Deliveries before the window's sending ended.
    pub in_window: u64,
    /// Deliveries of messages that were never acked to their sender (stored, ack missing).
    pub unacked_delivered: u64,
    /// Whether a sender's own messages came back to it (then they count as expected).
    pub echo: bool,
    /// When the last bench message arrived anywhere (µs since the run's epoch).
    pub last_us: u64,
    /// Fan-out latency over every delivery.
    pub latency: Percentiles,
}

/// Adds up a window. `acked` are the message numbers stored (acked to their sender);
/// `windows` pairs each socket's receipts with the message numbers that socket sent.
/// A socket is expected to receive every acked message, its own too when the service echoes
/// them (seen on any socket); otherwise everyone else's.
pub fn tally(acked: &[u64], windows: &mut [(Window, Vec<u64>)]) -> Tally {
    let mut acked: Vec<u64> = acked.to_vec();
    acked.sort_unstable();
    acked.dedup();
    let echo = windows.iter().any(|(w, _)| w.own > 0);
    let mut t = Tally {
        sockets: windows.len() as u64,
        echo,
        ..Tally::default()
    };
    let mut latencies = Vec::new();
    for (w, own) in windows.iter_mut() {
        let mut got = std::mem::take(&mut w.received);
        got.sort_unstable();
        got.dedup();
        let mut mine: Vec<u64> = own.clone();
        mine.sort_unstable();
        let own_acked = if echo {
            0
        } else {
            mine.iter()
                .filter(|g| acked.binary_search(g).is_ok())
                .count() as u64
        };
        let expected = acked.len() as u64 - own_acked;
        let delivered = got
            .iter()
            .filter(|g| acked.binary_search(g).is_ok() && (echo || mine.binary_search(g).is_err()))
            .count() as u64;
        t.unacked_delivered += got
            .iter()
            .filter(|g| acked.binary_search(g).is_err())
            .count() as u64;
        t.expected += expected;
        t.delivered += delivered;
        t.lost += expected - delivered;
        t.duplicates += w.duplicates;
        t.out_of_order += w.out_of_order;
        t.gaps += w.gaps;
        t.in_window += w.in_window;
        t.last_us = t.last_us.max(w.last_us);
        latencies.append(&mut w.latencies_us);
    }
    t.latency = percentiles(&mut latencies);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(room: &str, seq: i64, g: u64) -> Receipt<'_> {
        Receipt {
            room,
            seq,
            g: Some(g),
            latency_us: Some(1000 + u32::try_from(g).unwrap()),
            in_window: true,
            own: false,
            at_us: 10 * g,
        }
    }

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<u32> = (1..=100).rev().collect();
        let p = percentiles(&mut v);
        assert_eq!((p.count, p.p50_us, p.p99_us, p.max_us), (100, 50, 99, 100));
        let mut one = vec![7];
        let p = percentiles(&mut one);
        assert_eq!((p.p50_us, p.p99_us, p.max_us), (7, 7, 7));
        let mut none: Vec<u32> = vec![];
        assert_eq!(percentiles(&mut none), Percentiles::default());
        // 1,000 samples: p99 is the 990th, so ten slow ones stay above it.
        let mut v: Vec<u32> = (0..1000).map(|i| if i < 990 { 5 } else { 500 }).collect();
        let p = percentiles(&mut v);
        assert_eq!((p.p50_us, p.p99_us, p.max_us), (5, 5, 500));
        let mut v: Vec<u32> = (0..1000).map(|i| if i < 989 { 5 } else { 500 }).collect();
        assert_eq!(percentiles(&mut v).p99_us, 500);
    }

    #[test]
    fn ids_and_text_round_trip() {
        let run = run_tag();
        assert_eq!(run.len(), 12);
        assert_ne!(run, run_tag());
        assert_eq!(
            parse_client_msg_id(&run, &client_msg_id(&run, 42)),
            Some(42)
        );
        assert!(client_msg_id(&run, u64::MAX).len() <= 64);
        // Another run's messages (an earlier run on the same database) are not ours.
        assert_eq!(
            parse_client_msg_id(&run, &client_msg_id("0123456789ab", 42)),
            None
        );
        assert_eq!(parse_client_msg_id(&run, "c-42"), None);
        assert_eq!(parse_client_msg_id(&run, "b"), None);
        assert_eq!(parse_client_msg_id(&run, &format!("b{run}-")), None);
        assert_eq!(parse_sent_us(&message_text(123_456)), Some(123_456));
        assert_eq!(parse_sent_us("hello 123"), None);
        assert_eq!(parse_sent_us("bench"), None);
        assert!(message_text(u64::MAX).chars().count() <= 4000);
    }

    #[test]
    fn in_order_stream_counts_nothing_wrong() {
        let mut inbox = Inbox::default();
        inbox.start("r", 10);
        for (i, seq) in (11..=15).enumerate() {
            inbox.on_frame(receipt("r", seq, i as u64));
        }
        let w = inbox.take_window();
        assert_eq!((w.duplicates, w.out_of_order, w.gaps), (0, 0, 0));
        assert_eq!(w.received, vec![0, 1, 2, 3, 4]);
        assert_eq!(w.in_window, 5);
    }

    #[test]
    fn late_gap_fill_is_out_of_order_and_repeat_is_duplicate() {
        let mut inbox = Inbox::default();
        inbox.start("r", 0);
        inbox.on_frame(receipt("r", 1, 1));
        inbox.on_frame(receipt("r", 3, 3)); // seq 2 skipped
        inbox.on_frame(receipt("r", 2, 2)); // arrives late
        inbox.on_frame(receipt("r", 3, 3)); // again
        inbox.on_frame(receipt("r", 4, 4));
        let w = inbox.take_window();
        assert_eq!(w.gaps, 1);
        assert_eq!(w.out_of_order, 1);
        assert_eq!(w.duplicates, 1);
        assert_eq!(w.received.len(), 5);
    }

    #[test]
    fn order_state_spans_windows_and_rooms_are_separate() {
        let mut inbox = Inbox::default();
        inbox.start("a", 5);
        inbox.on_frame(receipt("a", 6, 0));
        inbox.on_frame(receipt("b", 1, 1)); // a room not announced by ready
        let _ = inbox.take_window();
        inbox.on_frame(receipt("a", 7, 2));
        inbox.on_frame(receipt("b", 2, 3));
        inbox.on_frame(receipt("a", 6, 4)); // older than what the last window saw
        let w = inbox.take_window();
        assert_eq!((w.out_of_order, w.duplicates, w.gaps), (1, 0, 0));
    }

    #[test]
    fn membership_frames_keep_order_without_counting_as_messages() {
        let mut inbox = Inbox::default();
        inbox.start("r", 0);
        inbox.on_frame(Receipt {
            room: "r",
            seq: 1,
            g: None,
            latency_us: None,
            in_window: true,
            own: false,
            at_us: 5,
        });
        inbox.on_frame(receipt("r", 2, 9));
        let w = inbox.take_window();
        assert_eq!((w.gaps, w.out_of_order), (0, 0));
        assert_eq!(w.received, vec![9]);
        assert_eq!(w.latencies_us.len(), 1);
        assert_eq!(
            w.last_us, 90,
            "membership frames do not move the last arrival"
        );
    }

    fn window(received: &[u64], own: u64) -> Window {
        Window {
            received: received.to_vec(),
            latencies_us: received.iter().map(|&g| 1000 * (g as u32 + 1)).collect(),
            in_window: received.len() as u64,
            own,
            last_us: received.iter().max().map_or(0, |g| g + 5),
            ..Window::default()
        }
    }

    #[test]
    fn tally_without_echo_excludes_senders_own_messages() {
        // Socket 0 sent 0 and 1, socket 1 sent 2; nobody gets their own back.
        let mut ws = vec![
            (window(&[2], 0), vec![0, 1]),
            (window(&[0, 1], 0), vec![2]),
            (window(&[0, 2], 0), vec![]), // lost 1
        ];
        let t = tally(&[0, 1, 2], &mut ws);
        assert!(!t.echo);
        assert_eq!(t.expected, 1 + 2 + 3);
        assert_eq!(t.delivered, 1 + 2 + 2);
        assert_eq!(t.lost, 1);
        assert_eq!(t.latency.count, 5);
        assert_eq!(t.latency.max_us, 3000);
        assert_eq!(t.last_us, 7);
    }

    #[test]
    fn tally_with_echo_expects_every_message_everywhere() {
        let mut ws = vec![
            (window(&[0, 1, 2], 2), vec![0, 1]),
            (window(&[0, 1, 2, 2], 1), vec![2]),
            (window(&[0, 1], 0), vec![]),
        ];
        ws[1].0.duplicates = 1;
        let t = tally(&[2, 1, 0], &mut ws);
        assert!(t.echo);
        assert_eq!(t.expected, 9);
        assert_eq!(t.delivered, 8);
        assert_eq!(t.lost, 1);
        assert_eq!(t.duplicates, 1);
    }

    #[test]
    fn unacked_deliveries_are_not_loss_and_not_expected() {
        // Message 3 was stored and fanned out but its ack never reached the sender.
        let mut ws = vec![(window(&[0, 3], 0), vec![]), (window(&[0], 0), vec![])];
        let t = tally(&[0], &mut ws);
        assert_eq!((t.expected, t.delivered, t.lost), (2, 2, 0));
        assert_eq!(t.unacked_delivered, 1);
    }
}
