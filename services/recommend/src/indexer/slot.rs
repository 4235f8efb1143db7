//! Where the live index and the catch-up position are kept.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};
use moji_ann::VectorIndex;

use crate::error::RecResult;

/// The live index, replaceable as a whole when it is rebuilt.
#[derive(Clone)]
pub struct IndexSlot {
    current: Arc<RwLock<Arc<dyn VectorIndex>>>,
}

impl IndexSlot {
    /// A slot holding `index`.
    pub fn new(index: Arc<dyn VectorIndex>) -> Self {
        Self {
            current: Arc::new(RwLock::new(index)),
        }
    }

    /// The index now.
    pub fn get(&self) -> Arc<dyn VectorIndex> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Runs `job` on the index on a blocking thread: a remote backend (Milvus) blocks on the
    /// network, and even the in-process one should not hold the executor for a big search.
    pub async fn run<T, F>(&self, job: F) -> RecResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn VectorIndex) -> Result<T, moji_ann::AnnError> + Send + 'static,
    {
        let index = self.get();
        tokio::task::spawn_blocking(move || job(index.as_ref()))
            .await
            .map_err(|e| crate::error::RecError::Internal(format!("index task: {e}")))?
            .map_err(Into::into)
    }

    pub(super) fn replace(&self, index: Arc<dyn VectorIndex>) {
        match self.current.write() {
            Ok(mut guard) => *guard = index,
            Err(poisoned) => *poisoned.into_inner() = index,
        }
    }
}

/// Where catching up with other replicas' writes starts next.
#[derive(Clone, Default)]
pub struct Watermark(Arc<std::sync::Mutex<Option<DateTime<Utc>>>>);

impl Watermark {
    pub(super) fn get(&self) -> Option<DateTime<Utc>> {
        self.0.lock().map(|g| *g).unwrap_or(None)
    }
    pub(super) fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut g) = self.0.lock() {
            *g = Some(at);
        }
    }
}
