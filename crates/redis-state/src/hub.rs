//! One shared pub/sub connection for all task-event subscribers of a process.
//!
//! Opening a Redis connection per subscriber (one per open SSE stream) costs a TCP handshake,
//! client setup on both sides and a Redis client slot for every watched task. The hub keeps a
//! single connection, SUBSCRIBEs to a channel while somebody listens to it and routes each
//! message to that channel's listeners. When the connection is lost every listener's stream
//! ends (as a dedicated connection's would); the next subscription opens a new one.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use futures_util::StreamExt;
use redis::{aio::PubSubSink, Client};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use crate::StateError;

/// How long SUBSCRIBE / UNSUBSCRIBE (and connecting) may take before the connection is
/// considered dead: a half-open TCP connection must not hold the hub's lock forever.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(5);

type Listeners = HashMap<String, Vec<(u64, UnboundedSender<redis::Msg>)>>;

/// Shared state: listeners by channel, and the live connection's command half.
#[derive(Default)]
struct Routes {
    listeners: Listeners,
    next_id: u64,
    /// Bumped on every new connection, so a stale reader cannot clear a newer one's listeners.
    generation: u64,
}

/// The hub; cheap to clone.
#[derive(Clone)]
pub(crate) struct EventHub {
    client: Client,
    routes: Arc<Mutex<Routes>>,
    /// Serialises SUBSCRIBE / UNSUBSCRIBE with listener bookkeeping, so an UNSUBSCRIBE for a
    /// channel never overtakes a newer SUBSCRIBE to it. `None` until the first subscription or
    /// after the connection was lost.
    sink: Arc<tokio::sync::Mutex<Option<(u64, PubSubSink)>>>,
}

/// A listener's messages; unsubscribes (when it was the channel's last listener) on drop.
pub(crate) struct Listener {
    hub: EventHub,
    channel: String,
    id: u64,
    rx: UnboundedReceiver<redis::Msg>,
}

impl EventHub {
    pub(crate) fn new(client: Client) -> Self {
        Self {
            client,
            routes: Arc::default(),
            sink: Arc::default(),
        }
    }

    fn routes(&self) -> std::sync::MutexGuard<'_, Routes> {
        // A panic while holding the lock leaves plain maps behind: keep using them.
        self.routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Listens to `channel`; the subscription is confirmed by Redis when this returns.
    pub(crate) async fn listen(&self, channel: String) -> Result<Listener, StateError> {
        let mut sink = self.sink.lock().await;
        let (generation, conn) = match sink.as_mut() {
            Some(live) => live,
            None => sink.insert(self.connect().await?),
        };
        let (tx, rx) = unbounded_channel();
        let id = {
            let mut routes = self.routes();
            routes.next_id += 1;
            let id = routes.next_id;
            routes
                .listeners
                .entry(channel.clone())
                .or_default()
                .push((id, tx));
            id
        };
        let listener = Listener {
            hub: self.clone(),
            channel: channel.clone(),
            id,
            rx,
        };
        let subscribed = match tokio::time::timeout(COMMAND_TIMEOUT, conn.subscribe(&channel)).await
        {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StateError::from(e)),
            Err(_) => Err(StateError::Timeout(format!(
                "SUBSCRIBE, {COMMAND_TIMEOUT:?}"
            ))),
        };
        if let Err(e) = subscribed {
            // The connection is unusable: forget it so the next subscription reconnects.
            let stale = *generation;
            *sink = None;
            self.drop_generation(stale);
            return Err(e);
        }
        Ok(listener)
    }

    /// Opens the shared connection and starts routing its messages.
    async fn connect(&self) -> Result<(u64, PubSubSink), StateError> {
        let pubsub = tokio::time::timeout(COMMAND_TIMEOUT, self.client.get_async_pubsub())
            .await
            .map_err(|_| StateError::Timeout(format!("pub/sub connect, {COMMAND_TIMEOUT:?}")))??;
        let (sink, mut stream) = pubsub.split();
        let generation = {
            let mut routes = self.routes();
            routes.generation += 1;
            routes.generation
        };
        let hub = self.clone();
        tokio::spawn(async move {
            while let Some(msg) = stream.next().await {
                let channel = msg.get_channel_name().to_owned();
                let routes = hub.routes();
                if let Some(listeners) = routes.listeners.get(&channel) {
                    for (_, tx) in listeners {
                        let _ = tx.send(msg.clone());
                    }
                }
            }
            tracing::warn!("redis pub/sub connection closed; open event streams end");
            let mut sink = hub.sink.lock().await;
            if matches!(sink.as_ref(), Some((g, _)) if *g == generation) {
                *sink = None;
            }
            drop(sink);
            hub.drop_generation(generation);
        });
        Ok((generation, sink))
    }

    /// Ends every listener of connection `generation` (dropping their senders ends their streams).
    fn drop_generation(&self, generation: u64) {
        let mut routes = self.routes();
        if routes.generation == generation {
            routes.listeners.clear();
        }
    }

    /// Removes listener `id`; the channel is unsubscribed when nobody else listens to it.
    fn forget(&self, channel: String, id: u64) {
        let last = {
            let mut routes = self.routes();
            match routes.listeners.get_mut(&channel) {
                Some(list) => {
                    list.retain(|(other, _)| *other != id);
                    list.is_empty()
                }
                None => false,
            }
        };
        if !last {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let hub = self.clone();
        runtime.spawn(async move {
            let mut sink = hub.sink.lock().await;
            // Re-check under the sink lock: a listener may have arrived since.
            let still_empty = {
                let mut routes = hub.routes();
                let empty = routes.listeners.get(&channel).is_some_and(Vec::is_empty);
                if empty {
                    routes.listeners.remove(&channel);
                }
                empty
            };
            if let (true, Some((generation, conn))) = (still_empty, sink.as_mut()) {
                match tokio::time::timeout(COMMAND_TIMEOUT, conn.unsubscribe(&channel)).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::debug!(error = %e, %channel, "unsubscribe failed"),
                    Err(_) => {
                        // No answer: drop the connection; the next listener reconnects.
                        tracing::warn!(%channel, "UNSUBSCRIBE timed out; dropping the pub/sub connection");
                        let stale = *generation;
                        *sink = None;
                        hub.drop_generation(stale);
                    }
                }
            }
        });
    }
}

impl futures_util::Stream for Listener {
    type Item = redis::Msg;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.hub.forget(std::mem::take(&mut self.channel), self.id);
    }
}
