//! Task records (`task:<id>` hashes), their state machine and their event channel.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use futures_util::{Stream, StreamExt};
use moji_common::{ErrorCode, TaskKind, TaskStatus};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::scripts::{CREATE_TASK, TRANSITION};
use crate::{ttl_millis, RedisState, StateError};

/// Every task status, in state-machine order.
const ALL_STATUSES: [TaskStatus; 5] = [
    TaskStatus::Queued,
    TaskStatus::Running,
    TaskStatus::Succeeded,
    TaskStatus::Failed,
    TaskStatus::Cancelled,
];

/// What the caller knows about a task it is about to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    /// The task id (UUIDv7 from the api).
    pub id: Uuid,
    /// What the task does.
    pub kind: TaskKind,
    /// The owner.
    pub user_id: Uuid,
}

/// Fields to set along with a status change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskChange {
    /// New progress, `0..=100` (a move to `succeeded` without one sets 100).
    pub progress: Option<u8>,
    /// New free-text step name (e.g. `"detect"`).
    pub step: Option<String>,
    /// The result document, normally with `succeeded`.
    pub result: Option<serde_json::Value>,
    /// The failure, normally with `failed` or `cancelled`.
    pub error: Option<TaskError>,
}

/// Why a task failed: a stable code and a human detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskError {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// Human-readable detail; never parsed.
    pub detail: String,
}

/// A task as stored in Redis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// The task id.
    pub id: Uuid,
    /// What the task does.
    pub kind: TaskKind,
    /// The owner.
    pub user_id: Uuid,
    /// Where the task is in its life.
    pub status: TaskStatus,
    /// Percent done, `0..=100`.
    pub progress: u8,
    /// The step the worker is in, once it reported one.
    #[serde(default)]
    pub step: Option<String>,
    /// The result, once succeeded.
    #[serde(default)]
    pub result: Option<serde_json::Value>,
    /// The failure, once failed or cancelled.
    #[serde(default)]
    pub error: Option<TaskError>,
    /// When the task was created.
    pub created_at: DateTime<Utc>,
    /// When the task last changed.
    pub updated_at: DateTime<Utc>,
}

/// One change of a task as published on `{prefix}:task:<id>:events` (and sent to SSE clients).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskEvent {
    /// The task id.
    pub task_id: Uuid,
    /// The status after the change.
    pub status: TaskStatus,
    /// Percent done after the change.
    pub progress: u8,
    /// The step after the change.
    #[serde(default)]
    pub step: Option<String>,
    /// When the change happened (the record's `updated_at`).
    pub at: DateTime<Utc>,
    /// The result; only in a final event, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    /// The failure; only in a final event, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<TaskError>,
}

impl From<&TaskRecord> for TaskEvent {
    /// The event that describes the record's current state (e.g. the first SSE frame).
    fn from(r: &TaskRecord) -> Self {
        let is_final = r.status.is_final();
        TaskEvent {
            task_id: r.id,
            status: r.status,
            progress: r.progress,
            step: r.step.clone(),
            at: r.updated_at,
            result: if is_final { r.result.clone() } else { None },
            error: if is_final { r.error.clone() } else { None },
        }
    }
}

impl RedisState {
    /// Full key of a task's hash: `{prefix}:task:<id>`.
    pub fn task_key(&self, id: Uuid) -> String {
        self.key(&format!("task:{id}"))
    }

    /// Pub/sub channel of a task's events: `{prefix}:task:<id>:events`.
    pub fn task_events_channel(&self, id: Uuid) -> String {
        self.key(&format!("task:{id}:events"))
    }

    /// Stores a new `queued` task with progress 0 and the given TTL; `TaskExists` if the id is taken.
    pub async fn create_task(
        &self,
        task: &NewTask,
        ttl: Duration,
    ) -> Result<TaskRecord, StateError> {
        let ttl_ms = ttl_millis(ttl)?;
        let now = now_micros();
        let record = TaskRecord {
            id: task.id,
            kind: task.kind,
            user_id: task.user_id,
            status: TaskStatus::Queued,
            progress: 0,
            step: None,
            result: None,
            error: None,
            created_at: now,
            updated_at: now,
        };
        let mut inv = CREATE_TASK.prepare_invoke();
        inv.key(self.task_key(task.id)).arg(ttl_ms);
        for (field, value) in record_fields(&record)? {
            inv.arg(field).arg(value);
        }
        let mut conn = self.connection();
        let created: i64 = inv.invoke_async(&mut conn).await?;
        if created == 1 {
            Ok(record)
        } else {
            Err(StateError::TaskExists(task.id))
        }
    }

    /// The task record, or `None` if it does not exist (or expired).
    pub async fn get_task(&self, id: Uuid) -> Result<Option<TaskRecord>, StateError> {
        let mut conn = self.connection();
        let fields: HashMap<String, String> = redis::cmd("HGETALL")
            .arg(self.task_key(id))
            .query_async(&mut conn)
            .await?;
        if fields.is_empty() {
            return Ok(None);
        }
        record_from_fields(id, fields).map(Some)
    }

    /// Atomically moves a task to `to` if [`TaskStatus::can_transition_to`] allows it, applies
    /// `change`, bumps `updated_at` (the TTL is kept) and publishes a [`TaskEvent`].
    ///
    /// An illegal move returns `IllegalTransition` and changes and publishes nothing; a missing
    /// task returns `TaskNotFound`.
    pub async fn transition(
        &self,
        id: Uuid,
        to: TaskStatus,
        change: TaskChange,
    ) -> Result<TaskRecord, StateError> {
        let from = allowed_from(to);
        self.apply(id, to, &from, change).await
    }

    /// Reports progress (`0..=100`) and the current step of a `running` task and publishes an
    /// event; any other status gives `IllegalTransition { from, to: Running }`.
    pub async fn set_progress(
        &self,
        id: Uuid,
        progress: u8,
        step: &str,
    ) -> Result<TaskRecord, StateError> {
        let change = TaskChange {
            progress: Some(progress),
            step: Some(step.to_owned()),
            ..TaskChange::default()
        };
        self.apply(id, TaskStatus::Running, &[TaskStatus::Running], change)
            .await
    }

    /// Subscribes to a task's events. The subscription is active when this returns, so to miss
    /// nothing subscribe first, then read the record with [`RedisState::get_task`].
    ///
    /// The stream ends after a final event (nothing can follow one) or when the pub/sub
    /// connection is lost; undecodable messages are logged and skipped. All subscriptions of a
    /// handle (and its clones) share one pub/sub connection; dropping the stream unsubscribes.
    pub async fn subscribe_task_events(
        &self,
        id: Uuid,
    ) -> Result<impl Stream<Item = TaskEvent> + Send + 'static, StateError> {
        let events = self
            .events
            .listen(self.task_events_channel(id))
            .await?
            .filter_map(move |msg| futures_util::future::ready(decode_event(id, &msg)));
        Ok(until_final(Box::pin(events)))
    }

    /// Runs the transition script with an explicit list of statuses `to` may be reached from.
    async fn apply(
        &self,
        id: Uuid,
        to: TaskStatus,
        from: &[TaskStatus],
        change: TaskChange,
    ) -> Result<TaskRecord, StateError> {
        let args = ChangeArgs::new(to, change)?;
        let mut inv = TRANSITION.prepare_invoke();
        inv.key(self.task_key(id))
            .arg(to.as_str())
            .arg(format_ts(now_micros()))
            .arg(self.task_events_channel(id))
            .arg(id.to_string())
            .arg(if to.is_final() { "1" } else { "0" })
            .arg(args.progress)
            .arg(args.step)
            .arg(args.result)
            .arg(args.error);
        for status in from {
            inv.arg(status.as_str());
        }
        let mut conn = self.connection();
        let reply: Vec<String> = inv.invoke_async(&mut conn).await?;
        match reply.split_first() {
            Some((tag, rest)) if tag == "ok" => record_from_flat(id, rest),
            Some((tag, _)) if tag == "missing" => Err(StateError::TaskNotFound(id)),
            Some((tag, [current])) if tag == "illegal" => Err(StateError::IllegalTransition {
                from: parse_status(current)?,
                to,
            }),
            _ => Err(StateError::Corrupt(format!(
                "unexpected transition script reply {reply:?}"
            ))),
        }
    }
}

/// The statuses from which the state machine allows moving to `to`.
fn allowed_from(to: TaskStatus) -> Vec<TaskStatus> {
    ALL_STATUSES
        .into_iter()
        .filter(|from| from.can_transition_to(to))
        .collect()
}

/// A [`TaskChange`] encoded as transition-script arguments (`""` = keep the field).
#[derive(Debug, PartialEq)]
struct ChangeArgs {
    progress: String,
    step: String,
    result: String,
    error: String,
}

impl ChangeArgs {
    fn new(to: TaskStatus, change: TaskChange) -> Result<Self, StateError> {
        let progress = match change.progress {
            Some(p) if p > 100 => {
                return Err(StateError::InvalidArgument(format!(
                    "progress {p} is over 100"
                )))
            }
            Some(p) => Some(p),
            None if to == TaskStatus::Succeeded => Some(100),
            None => None,
        };
        Ok(Self {
            progress: progress.map(|p| p.to_string()).unwrap_or_default(),
            step: change.step.map(|s| format!("={s}")).unwrap_or_default(),
            result: change
                .result
                .map(|r| to_json(&r))
                .transpose()?
                .unwrap_or_default(),
            error: change
                .error
                .map(|e| to_json(&e))
                .transpose()?
                .unwrap_or_default(),
        })
    }
}

/// Ends `events` right after the first final event.
fn until_final<S>(events: S) -> impl Stream<Item = TaskEvent> + Send + 'static
where
    S: Stream<Item = TaskEvent> + Unpin + Send + 'static,
{
    futures_util::stream::unfold(Some(events), |state| async move {
        let mut events = state?;
        let event = events.next().await?;
        let next = if event.status.is_final() {
            None
        } else {
            Some(events)
        };
        Some((event, next))
    })
}

/// Decodes one pub/sub message into an event of task `id`, logging what does not decode.
fn decode_event(id: Uuid, msg: &redis::Msg) -> Option<TaskEvent> {
    match serde_json::from_slice::<TaskEvent>(msg.get_payload_bytes()) {
        Ok(event) if event.task_id == id => Some(event),
        Ok(event) => {
            tracing::warn!(task_id = %id, other = %event.task_id, "event for another task on channel; skipped");
            None
        }
        Err(err) => {
            tracing::warn!(task_id = %id, error = %err, "undecodable task event; skipped");
            None
        }
    }
}

/// Now, truncated to the microseconds that survive the RFC 3339 round trip.
fn now_micros() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// RFC 3339 UTC with microseconds, e.g. `2025-01-02T03:04:05.123456Z`.
fn format_ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn parse_ts(field: &str, s: &str) -> Result<DateTime<Utc>, StateError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StateError::Corrupt(format!("task field {field} = {s:?}: {e}")))
}

fn parse_status(s: &str) -> Result<TaskStatus, StateError> {
    s.parse()
        .map_err(|e: moji_common::UnknownName| StateError::Corrupt(format!("task status: {e}")))
}

fn to_json<T: Serialize>(v: &T) -> Result<String, StateError> {
    serde_json::to_string(v).map_err(|e| StateError::InvalidArgument(format!("not JSON: {e}")))
}

/// The snake_case wire name of a unit enum variant.
fn wire_name<T: Serialize>(v: &T) -> Result<String, StateError> {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        other => Err(StateError::InvalidArgument(format!(
            "not a unit variant: {other:?}"
        ))),
    }
}

fn from_wire_name<T: DeserializeOwned>(field: &str, s: &str) -> Result<T, StateError> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .map_err(|e| StateError::Corrupt(format!("task field {field} = {s:?}: {e}")))
}

/// The hash fields of a record (optional fields only when set).
fn record_fields(r: &TaskRecord) -> Result<Vec<(&'static str, String)>, StateError> {
    let mut fields = vec![
        ("status", r.status.as_str().to_owned()),
        ("kind", wire_name(&r.kind)?),
        ("user_id", r.user_id.to_string()),
        ("progress", r.progress.to_string()),
        ("created_at", format_ts(r.created_at)),
        ("updated_at", format_ts(r.updated_at)),
    ];
    if let Some(step) = &r.step {
        fields.push(("step", step.clone()));
    }
    if let Some(result) = &r.result {
        fields.push(("result", to_json(result)?));
    }
    if let Some(error) = &r.error {
        fields.push(("error", to_json(error)?));
    }
    Ok(fields)
}

/// A record from a flat `field, value, field, value ...` list (HGETALL as returned by Lua).
fn record_from_flat(id: Uuid, flat: &[String]) -> Result<TaskRecord, StateError> {
    let pairs = flat.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(StateError::Corrupt(format!(
            "task {id}: odd field list of {} items",
            flat.len()
        )));
    }
    let fields = pairs
        .filter_map(|pair| match pair {
            [k, v] => Some((k.clone(), v.clone())),
            _ => None,
        })
        .collect();
    record_from_fields(id, fields)
}

/// A record from its hash fields.
fn record_from_fields(id: Uuid, mut f: HashMap<String, String>) -> Result<TaskRecord, StateError> {
    let mut take = |name: &str| {
        f.remove(name)
            .ok_or_else(|| StateError::Corrupt(format!("task {id}: field {name} missing")))
    };
    let status = parse_status(&take("status")?)?;
    let kind = from_wire_name("kind", &take("kind")?)?;
    let user_id = take("user_id")?;
    let user_id = Uuid::parse_str(&user_id)
        .map_err(|e| StateError::Corrupt(format!("task {id}: user_id {user_id:?}: {e}")))?;
    let progress = take("progress")?;
    let progress = progress
        .parse::<u8>()
        .ok()
        .filter(|p| *p <= 100)
        .ok_or_else(|| StateError::Corrupt(format!("task {id}: progress {progress:?}")))?;
    let created_at = parse_ts("created_at", &take("created_at")?)?;
    let updated_at = parse_ts("updated_at", &take("updated_at")?)?;
    let step = f.remove("step");
    let result = f
        .remove("result")
        .map(|s| serde_json::from_str(&s))
        .transpose()
        .map_err(|e| StateError::Corrupt(format!("task {id}: result: {e}")))?;
    let error = f
        .remove("error")
        .map(|s| serde_json::from_str(&s))
        .transpose()
        .map_err(|e| StateError::Corrupt(format!("task {id}: error: {e}")))?;
    Ok(TaskRecord {
        id,
        kind,
        user_id,
        status,
        progress,
        step,
        result,
        error,
        created_at,
        updated_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use TaskStatus::*;

    /// Exhaustive on purpose: a new status fails to compile here until ALL_STATUSES lists it.
    fn position(s: TaskStatus) -> usize {
        match s {
            Queued => 0,
            Running => 1,
            Succeeded => 2,
            Failed => 3,
            Cancelled => 4,
        }
    }

    #[test]
    fn all_statuses_lists_every_variant_once() {
        for (i, s) in ALL_STATUSES.into_iter().enumerate() {
            assert_eq!(position(s), i);
        }
    }

    #[test]
    fn allowed_from_mirrors_the_state_machine() {
        assert_eq!(allowed_from(Queued), Vec::<TaskStatus>::new());
        assert_eq!(allowed_from(Running), vec![Queued, Running]);
        assert_eq!(allowed_from(Succeeded), vec![Queued, Running]);
        assert_eq!(allowed_from(Failed), vec![Queued, Running]);
        assert_eq!(allowed_from(Cancelled), vec![Queued, Running]);
        for to in ALL_STATUSES {
            for from in ALL_STATUSES {
                assert_eq!(allowed_from(to).contains(&from), from.can_transition_to(to));
            }
        }
    }

    fn sample() -> TaskRecord {
        let t = now_micros();
        TaskRecord {
            id: Uuid::new_v4(),
            kind: TaskKind::Zodiac,
            user_id: Uuid::new_v4(),
            status: Succeeded,
            progress: 100,
            step: Some("render / \"done\" ✓".into()),
            result: Some(json!({"animal": "ox", "score": 0.87, "big": 12345678901234567u64})),
            error: None,
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn record_fields_round_trip() {
        let r = sample();
        let fields = record_fields(&r).unwrap();
        let map = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        assert_eq!(record_from_fields(r.id, map).unwrap(), r);
        let flat: Vec<String> = fields
            .into_iter()
            .flat_map(|(k, v)| [k.to_string(), v])
            .collect();
        assert_eq!(record_from_flat(r.id, &flat).unwrap(), r);
        assert!(matches!(
            record_from_flat(r.id, &flat[1..]),
            Err(StateError::Corrupt(_))
        ));
    }

    #[test]
    fn corrupt_hashes_are_reported() {
        let r = sample();
        let good: HashMap<String, String> = record_fields(&r)
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        for (field, bad) in [
            ("status", Some("done")),
            ("kind", Some("horoscope")),
            ("user_id", Some("nope")),
            ("progress", Some("101")),
            ("progress", Some("-1")),
            ("created_at", Some("yesterday")),
            ("result", Some("{not json")),
            ("error", Some("{\"code\":\"no_such_code\",\"detail\":\"\"}")),
            ("status", None),
            ("updated_at", None),
        ] {
            let mut f = good.clone();
            match bad {
                Some(v) => f.insert(field.to_string(), v.to_string()),
                None => f.remove(field),
            };
            assert!(
                matches!(record_from_fields(r.id, f), Err(StateError::Corrupt(_))),
                "{field} = {bad:?} must be corrupt"
            );
        }
    }

    #[test]
    fn timestamps_keep_microseconds() {
        let t = now_micros();
        let s = format_ts(t);
        assert!(
            s.ends_with('Z') && s.len() == "2025-01-02T03:04:05.123456Z".len(),
            "{s}"
        );
        assert_eq!(parse_ts("at", &s).unwrap(), t);
    }

    #[test]
    fn change_args_encode_keep_as_empty() {
        let keep = ChangeArgs::new(Running, TaskChange::default()).unwrap();
        assert_eq!(
            keep,
            ChangeArgs {
                progress: String::new(),
                step: String::new(),
                result: String::new(),
                error: String::new()
            }
        );
        // Success without progress means done.
        assert_eq!(
            ChangeArgs::new(Succeeded, TaskChange::default())
                .unwrap()
                .progress,
            "100"
        );
        let all = ChangeArgs::new(
            Failed,
            TaskChange {
                progress: Some(40),
                step: Some(String::new()),
                result: Some(json!([1])),
                error: Some(TaskError {
                    code: ErrorCode::NoFaceDetected,
                    detail: "none".into(),
                }),
            },
        )
        .unwrap();
        assert_eq!(all.progress, "40");
        assert_eq!(all.step, "=");
        assert_eq!(all.result, "[1]");
        assert_eq!(all.error, r#"{"code":"no_face_detected","detail":"none"}"#);
        assert!(matches!(
            ChangeArgs::new(
                Running,
                TaskChange {
                    progress: Some(101),
                    ..Default::default()
                }
            ),
            Err(StateError::InvalidArgument(_))
        ));
    }

    #[test]
    fn events_carry_result_and_error_only_when_final() {
        let mut r = sample();
        let ev = TaskEvent::from(&r);
        assert_eq!(ev.result, r.result);
        let json = serde_json::to_value(&ev).unwrap();
        assert_eq!(json["status"], "succeeded");
        assert_eq!(serde_json::from_value::<TaskEvent>(json).unwrap(), ev);

        r.status = Running;
        let ev = TaskEvent::from(&r);
        assert_eq!(ev.result, None);
        let json = serde_json::to_value(&ev).unwrap();
        assert!(json.get("result").is_none() && json.get("error").is_none());
        assert_eq!(json["step"], r.step.clone().unwrap());
        assert_eq!(serde_json::from_value::<TaskEvent>(json).unwrap(), ev);
    }

    #[test]
    fn wire_names_are_snake_case() {
        assert_eq!(wire_name(&TaskKind::Emoji).unwrap(), "emoji");
        assert_eq!(
            from_wire_name::<TaskKind>("kind", "zodiac").unwrap(),
            TaskKind::Zodiac
        );
        assert!(wire_name(&json!({"a": 1})).is_err());
    }
}
