//! The WebSocket connection of one socket: the TCP stream and actix-http's WebSocket codec,
//! with buffers that grow only to the frames actually sent and shrink back when drained.
//!
//! actix-ws keeps the HTTP dispatcher of an upgraded connection alive for its whole life, with
//! an 8 KiB read and an 8 KiB write buffer and two channels; tokio-util's `Framed` would again
//! reserve 8 KiB for each buffer. An idle socket needs neither: here the upgraded stream is
//! taken from the dispatcher (`socket::upgrade`) and framed by hand.

use actix_codec::{Decoder, Encoder};
use actix_http::ws::{self, CloseReason, Codec, Frame, Item, ProtocolError};
use bytes::{Bytes, BytesMut};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Room made in the read buffer before a read.
const READ_CHUNK: usize = 512;
/// A drained buffer larger than this is freed rather than kept for the next frame.
const KEEP_CAPACITY: usize = 4096;

/// A whole message from the peer, continuations joined.
#[derive(Debug)]
pub enum Incoming {
    /// A UTF-8 text message.
    Text(String),
    /// A binary message.
    Binary,
    /// A ping with its payload.
    Ping(Bytes),
    /// A pong.
    Pong,
    /// The peer's close frame.
    Close(Option<CloseReason>),
}

/// Why a peer's frames could not be read.
#[derive(Debug)]
pub enum WireError {
    /// A frame or message longer than the limit.
    Overflow,
    /// Anything else against the protocol (bad opcode, unmasked frame, invalid UTF-8 …).
    Protocol(String),
}

/// A message being assembled from continuation frames.
struct Partial {
    text: bool,
    data: BytesMut,
}

/// One upgraded connection.
pub struct Wire {
    io: TcpStream,
    codec: Codec,
    /// Bytes read and not yet decoded.
    read_buf: BytesMut,
    /// Encoded bytes not yet written (a write cut short by cancellation resumes from here).
    write_buf: BytesMut,
    /// The connection ended (end of stream or a protocol error): no more frames.
    ended: bool,
    partial: Option<Partial>,
    max_message: usize,
}

impl Wire {
    /// Frames `io` (after the 101 response), starting with the bytes the peer already sent.
    pub fn new(io: TcpStream, already_read: &[u8], max_message: usize) -> Self {
        Self {
            io,
            codec: Codec::new().max_size(max_message),
            read_buf: BytesMut::from(already_read),
            write_buf: BytesMut::new(),
            ended: false,
            partial: None,
            max_message,
        }
    }

    /// The next frame; `None` at the end of the stream. Cancel-safe: bytes read stay in the
    /// buffer.
    async fn next_frame(&mut self) -> Option<Result<Frame, ProtocolError>> {
        loop {
            if self.ended {
                return None;
            }
            match self.codec.decode(&mut self.read_buf) {
                Ok(Some(frame)) => {
                    shrink_if_drained(&mut self.read_buf);
                    return Some(Ok(frame));
                }
                Ok(None) => {}
                Err(e) => {
                    self.ended = true;
                    return Some(Err(e));
                }
            }
            if self.read_buf.capacity() - self.read_buf.len() < READ_CHUNK / 2 {
                self.read_buf.reserve(READ_CHUNK.max(self.read_buf.len()));
            }
            match self.io.read_buf(&mut self.read_buf).await {
                Ok(0) => {
                    self.ended = true;
                    return None;
                }
                Ok(_) => {}
                Err(e) => {
                    self.ended = true;
                    return Some(Err(ProtocolError::Io(e)));
                }
            }
        }
    }

    /// The peer's next whole message; `None` once the connection ended. Cancel-safe: a message
    /// half assembled when the future is dropped is kept for the next call.
    pub async fn next(&mut self) -> Option<Result<Incoming, WireError>> {
        loop {
            let frame = match self.next_frame().await? {
                Ok(frame) => frame,
                Err(ProtocolError::Overflow) => return Some(Err(WireError::Overflow)),
                Err(e) => return Some(Err(WireError::Protocol(e.to_string()))),
            };
            let whole = match frame {
                Frame::Text(data) => Some(text(&data)),
                Frame::Binary(_) => Some(Ok(Incoming::Binary)),
                Frame::Ping(data) => Some(Ok(Incoming::Ping(data))),
                Frame::Pong(_) => Some(Ok(Incoming::Pong)),
                Frame::Close(reason) => Some(Ok(Incoming::Close(reason))),
                Frame::Continuation(item) => self.continuation(item),
            };
            if let Some(message) = whole {
                return Some(message);
            }
        }
    }

    /// Adds a continuation frame; the message once its last frame arrived.
    fn continuation(&mut self, item: Item) -> Option<Result<Incoming, WireError>> {
        let (first, data, last) = match item {
            Item::FirstText(data) => (Some(true), data, false),
            Item::FirstBinary(data) => (Some(false), data, false),
            Item::Continue(data) => (None, data, false),
            Item::Last(data) => (None, data, true),
        };
        match (first, self.partial.as_mut()) {
            (Some(_), Some(_)) => {
                return Some(Err(WireError::Protocol(
                    "a new message began inside a fragmented one".into(),
                )))
            }
            (None, None) => {
                return Some(Err(WireError::Protocol(
                    "a continuation frame without a first frame".into(),
                )))
            }
            (Some(is_text), None) => {
                self.partial = Some(Partial {
                    text: is_text,
                    data: BytesMut::new(),
                })
            }
            (None, Some(_)) => {}
        }
        let partial = self.partial.as_mut()?;
        if partial.data.len() + data.len() > self.max_message {
            self.partial = None;
            return Some(Err(WireError::Overflow));
        }
        partial.data.extend_from_slice(&data);
        if !last {
            return None;
        }
        let done = self.partial.take()?;
        Some(if done.text {
            text(&done.data)
        } else {
            Ok(Incoming::Binary)
        })
    }

    /// Writes one message (after whatever was fed or an earlier, cancelled write left) and
    /// flushes it.
    pub async fn send(&mut self, message: ws::Message) -> Result<(), std::io::Error> {
        self.feed(message)?;
        self.flush().await
    }

    /// Adds one message to the output without writing it; [`Self::flush`] (or the next
    /// [`Self::send`]) writes it.
    pub fn feed(&mut self, message: ws::Message) -> Result<(), std::io::Error> {
        self.codec
            .encode(message, &mut self.write_buf)
            .map_err(|e| std::io::Error::other(e.to_string()))
    }

    /// Bytes fed and not written yet.
    pub fn pending(&self) -> usize {
        self.write_buf.len()
    }

    /// Writes everything fed. Cancel-safe: what is left stays for the next write.
    pub async fn flush(&mut self) -> Result<(), std::io::Error> {
        self.io.write_all_buf(&mut self.write_buf).await?;
        shrink_if_drained(&mut self.write_buf);
        Ok(())
    }

    /// Waits (the caller bounds how long) for the peer to answer a close frame or hang up,
    /// so the connection ends with the close handshake rather than a reset.
    pub async fn drain_until_closed(&mut self) {
        while let Some(Ok(frame)) = self.next_frame().await {
            if matches!(frame, Frame::Close(_)) {
                return;
            }
        }
    }
}

/// Frees a drained buffer that grew past [`KEEP_CAPACITY`] (a burst or a replay), so an idle
/// socket goes back to holding almost nothing.
fn shrink_if_drained(buf: &mut BytesMut) {
    if buf.is_empty() && buf.capacity() > KEEP_CAPACITY {
        *buf = BytesMut::new();
    }
}

fn text(data: &[u8]) -> Result<Incoming, WireError> {
    std::str::from_utf8(data)
        .map(|text| Incoming::Text(text.to_owned()))
        .map_err(|_| WireError::Protocol("text frame is not UTF-8".into()))
}
