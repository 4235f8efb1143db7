//! Progress of a running task: step writes to Redis (throttled to one per progress gap), and
//! the vision job run while its step announcements are written in order.

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use moji_redis::StateError;
use uuid::Uuid;

use crate::{pipeline, step::Step, task_end::TaskEnd, worker::Worker};

impl Worker {
    /// Marks progress; a cancelled (or otherwise final) task stops the pipeline.
    async fn step(&self, id: Uuid, step: Step) -> Result<(), TaskEnd> {
        match self
            .redis
            .set_progress(id, step.progress(), step.name())
            .await
        {
            Ok(_) => Ok(()),
            Err(StateError::IllegalTransition { from, .. }) if from.is_final() => {
                Err(TaskEnd::Cancelled)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Marks progress unless the last write was under the progress gap ago: a short final
    /// step is not worth a write (the final state follows within milliseconds). A cancel it
    /// would have caught is caught by the final transition, which also removes stored files.
    pub(crate) async fn step_unless_recent(
        &self,
        id: Uuid,
        step: Step,
        last_write: &mut Instant,
    ) -> Result<(), TaskEnd> {
        if last_write.elapsed() < self.progress_gap() {
            return Ok(());
        }
        self.step(id, step).await?;
        *last_write = Instant::now();
        Ok(())
    }

    /// Shortest time between two progress writes of one task (`faces.progress_gap_ms`).
    fn progress_gap(&self) -> Duration {
        Duration::from_millis(self.settings.faces.progress_gap_ms)
    }

    /// Runs the image work as one job on a vision thread while writing its step announcements
    /// to Redis in order; a cancelled task or a Redis failure stops the job before its next step.
    pub(crate) async fn analyze(
        &self,
        id: Uuid,
        job: pipeline::Job,
        last_write: &mut Instant,
    ) -> Result<pipeline::Analysis, TaskEnd> {
        let (steps_tx, mut steps) = tokio::sync::mpsc::unbounded_channel();
        let stop = Arc::new(AtomicBool::new(false));
        let control = pipeline::Control {
            steps: steps_tx,
            stop: stop.clone(),
            step_delay: Duration::from_millis(self.settings.faces.step_delay_ms),
        };
        let work = self
            .pool
            .run(move |models| pipeline::run(models, job, &control));
        tokio::pin!(work);
        let mut aborted: Option<TaskEnd> = None;
        // Progress writes are throttled: a step announced less than the progress gap after the
        // previous write waits, and is replaced if the next step starts meanwhile. Sub-10 ms
        // steps of a 1 MP selfie are invisible to a person anyway, and each write is a Redis
        // script, a pub/sub message and an SSE frame.
        let mut pending: Option<pipeline::StepStarted> = None;
        // `last_write` starts at the `running` write: a first step right after it waits.
        let gap = self.progress_gap();
        let outcome = loop {
            let due = tokio::time::Instant::from_std(*last_write + gap);
            tokio::select! {
                biased;
                Some(started) = steps.recv() => {
                    pending = Some(started);
                    if last_write.elapsed() < gap {
                        continue;
                    }
                }
                () = tokio::time::sleep_until(due), if pending.is_some() => {}
                outcome = &mut work => break outcome,
            }
            if let Some(started) = pending.take() {
                if aborted.is_none() {
                    if let Err(e) = self.step(id, started.step).await {
                        stop.store(true, Ordering::Release);
                        aborted = Some(e);
                    }
                }
                *last_write = Instant::now();
            }
        };
        // A step still waiting for its turn when the job finished is written only if the job
        // failed, so the failure follows the step it happened in (the web client shows where
        // a task stopped). After a success, storing or the final state supersedes it.
        while let Ok(started) = steps.try_recv() {
            pending = Some(started);
        }
        let failed = matches!(outcome, Ok(Err(TaskEnd::Failed(..))));
        if let (true, Some(started), None) = (failed, pending, &aborted) {
            self.step(id, started.step).await?;
            *last_write = Instant::now();
        }
        // Why the worker stopped the job wins over how the job reports being stopped.
        if let Some(end) = aborted {
            return Err(end);
        }
        outcome?
    }
}
