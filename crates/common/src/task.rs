//! Task kinds and the task status state machine.

use serde::{Deserialize, Serialize};

/// What an asynchronous task does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Read each face's expression and paste the matching emoji onto it.
    Emoji,
    /// Find the zodiac animal the face resembles.
    Zodiac,
}

/// Where a task is in its life: `queued -> running -> succeeded | failed | cancelled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Accepted and waiting for a worker.
    Queued,
    /// A worker is on it.
    Running,
    /// Finished with a result.
    Succeeded,
    /// Finished with an error code.
    Failed,
    /// Stopped at the owner's request.
    Cancelled,
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

    /// The snake_case wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

impl std::str::FromStr for TaskStatus {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "queued" => Self::Queued,
            "running" => Self::Running,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "cancelled" => Self::Cancelled,
            other => return Err(format!("unknown task status {other:?}")),
        })
    }
}

impl std::fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
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
