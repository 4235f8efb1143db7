//! Task kinds and the task status state machine.

wire_enum! {
    /// What an asynchronous task does.
    pub enum TaskKind {
        /// Read each face's expression and paste the matching emoji onto it.
        Emoji = "emoji",
        /// Find the zodiac animal the face resembles.
        Zodiac = "zodiac",
        /// Plan and write a date course.
        Course = "course",
        /// Make the images of a dataset.
        Dataset = "dataset",
    }
}

wire_enum! {
    /// Where a task is in its life: `queued -> running -> succeeded | failed | cancelled`.
    pub enum TaskStatus {
        /// Accepted and waiting for a worker.
        Queued = "queued",
        /// A worker is on it.
        Running = "running",
        /// Finished with a result.
        Succeeded = "succeeded",
        /// Finished with an error code.
        Failed = "failed",
        /// Stopped at the owner's request.
        Cancelled = "cancelled",
    }
}

impl TaskStatus {
    /// True for the three end states.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Cancelled)
    }

    /// Whether the state machine allows moving from `self` to `next`.
    ///
    /// `running -> running` is allowed so that a redelivered task can be picked up again
    /// after a worker crash; nothing leaves a final state.
    pub fn can_transition_to(self, next: TaskStatus) -> bool {
        use TaskStatus::*;
        matches!(
            (self, next),
            (Queued | Running, Running | Succeeded | Failed | Cancelled)
        )
    }

    /// The open states, in which a task may still change.
    pub const OPEN: [TaskStatus; 2] = [TaskStatus::Queued, TaskStatus::Running];
}

#[cfg(test)]
mod tests {
    use super::TaskStatus::*;
    use super::*;

    #[test]
    fn final_states_are_terminal() {
        for from in [Succeeded, Failed, Cancelled] {
            assert!(from.is_final());
            for to in [Queued, Running, Succeeded, Failed, Cancelled] {
                assert!(
                    !from.can_transition_to(to),
                    "{from} -> {to} must be rejected"
                );
            }
        }
    }

    #[test]
    fn forward_moves_are_allowed_and_backward_are_not() {
        assert!(Queued.can_transition_to(Running));
        assert!(Running.can_transition_to(Succeeded));
        assert!(Running.can_transition_to(Running));
        assert!(!Running.can_transition_to(Queued));
        assert!(!Queued.can_transition_to(Queued));
    }

    #[test]
    fn parses_its_own_names() {
        for s in [Queued, Running, Succeeded, Failed, Cancelled] {
            assert_eq!(s.as_str().parse::<TaskStatus>().unwrap(), s);
        }
        assert!("done".parse::<TaskStatus>().is_err());
    }
}
