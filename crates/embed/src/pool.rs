//! [`EmbedPool`]: bounded, non-blocking access to an [`Embedder`] from async code.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::{EmbedError, Embedder};

/// A bounded blocking pool: at most `threads` batches run at once, at most `queue` wait.
///
/// Each batch runs on tokio's blocking threads. A call that finds `threads + queue` batches
/// already admitted fails at once with [`EmbedError::Busy`] instead of queueing without bound.
/// Dropping a call's future does not free its slot early: a batch that has started holds its
/// slot until the blocking work ends, so no more than `threads` ever run.
#[derive(Debug, Clone)]
pub struct EmbedPool {
    embedder: Arc<Embedder>,
    gate: Gate,
}

impl EmbedPool {
    /// A pool running at most `threads` (at least 1) batches at once with at most `queue` waiting.
    pub fn new(embedder: Arc<Embedder>, threads: usize, queue: usize) -> Self {
        Self {
            embedder,
            gate: Gate::new(threads, queue),
        }
    }

    /// The shared embedder, for blocking callers outside the pool (start-up, batch jobs).
    pub fn embedder(&self) -> &Arc<Embedder> {
        &self.embedder
    }

    /// Embeds `texts` on a blocking thread; [`EmbedError::Busy`] when the pool and queue are full.
    pub async fn embed(&self, texts: Vec<String>) -> Result<Vec<Vec<f32>>, EmbedError> {
        let embedder = Arc::clone(&self.embedder);
        self.gate
            .run(move || {
                let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
                embedder.embed(&refs)
            })
            .await?
    }
}

/// The admission and concurrency limits of [`EmbedPool`], apart from the model.
#[derive(Debug, Clone)]
struct Gate {
    /// `threads` permits: held while a job runs.
    running: Arc<Semaphore>,
    /// `threads + queue` permits: held from admission until the job ends.
    admitted: Arc<Semaphore>,
}

impl Gate {
    fn new(threads: usize, queue: usize) -> Self {
        let threads = threads.max(1);
        Self {
            running: Arc::new(Semaphore::new(threads)),
            admitted: Arc::new(Semaphore::new(threads.saturating_add(queue))),
        }
    }

    /// Runs `job` on a blocking thread once a running slot is free; `Busy` if none is admitted.
    async fn run<T, F>(&self, job: F) -> Result<T, EmbedError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let admitted = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| EmbedError::Busy)?;
        // The semaphores are never closed, so acquiring only waits.
        let running = Arc::clone(&self.running)
            .acquire_owned()
            .await
            .map_err(|_| EmbedError::Busy)?;
        tokio::task::spawn_blocking(move || {
            // Both slots are released when the job ends, even if the caller stopped waiting.
            let _slots = (admitted, running);
            job()
        })
        .await
        .map_err(|e| EmbedError::Task(e.to_string()))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc;
    use std::time::Duration;

    async fn until(mut cond: impl FnMut() -> bool) {
        for _ in 0..1000 {
            if cond() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("condition not reached in 5 s");
    }

    #[tokio::test]
    async fn full_queue_is_busy_and_frees_up() {
        let gate = Gate::new(1, 1);
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let running = tokio::spawn({
            let gate = gate.clone();
            async move {
                gate.run(move || {
                    started_tx.send(()).unwrap();
                    release_rx.recv().unwrap();
                    1
                })
                .await
            }
        });
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
            .await
            .unwrap();
        let waiting = tokio::spawn({
            let gate = gate.clone();
            async move { gate.run(|| 2).await }
        });
        until(|| gate.admitted.available_permits() == 0).await;
        assert!(matches!(gate.run(|| 3).await, Err(EmbedError::Busy)));

        release_tx.send(()).unwrap();
        assert_eq!(running.await.unwrap().unwrap(), 1);
        assert_eq!(waiting.await.unwrap().unwrap(), 2);
        assert_eq!(gate.run(|| 4).await.unwrap(), 4);
        assert_eq!(gate.admitted.available_permits(), 2);
    }

    #[tokio::test]
    async fn cancelled_caller_keeps_its_slot_until_the_job_ends() {
        let gate = Gate::new(1, 0);
        let (started_tx, started_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let call = tokio::spawn({
            let gate = gate.clone();
            async move {
                gate.run(move || {
                    started_tx.send(()).unwrap();
                    release_rx.recv().unwrap();
                })
                .await
            }
        });
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
            .await
            .unwrap();
        call.abort();
        assert!(call.await.unwrap_err().is_cancelled());
        // The job is still running: no second one may start.
        assert!(matches!(gate.run(|| ()).await, Err(EmbedError::Busy)));
        release_tx.send(()).unwrap();
        until(|| gate.running.available_permits() == 1).await;
        gate.run(|| ()).await.unwrap();
    }

    #[tokio::test]
    async fn at_most_threads_jobs_run_at_once() {
        let gate = Gate::new(2, 16);
        let now = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let calls: Vec<_> = (0..12)
            .map(|i| {
                let (gate, now, peak) = (gate.clone(), now.clone(), peak.clone());
                tokio::spawn(async move {
                    gate.run(move || {
                        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(n, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(10));
                        now.fetch_sub(1, Ordering::SeqCst);
                        i
                    })
                    .await
                })
            })
            .collect();
        for (i, call) in calls.into_iter().enumerate() {
            assert_eq!(call.await.unwrap().unwrap(), i);
        }
        let peak = peak.load(Ordering::SeqCst);
        assert!((1..=2).contains(&peak), "peak {peak}");
    }
}
