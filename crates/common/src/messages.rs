//! The AMQP wire contract: every message is JSON in an [`Envelope`], and each payload type
//! names its message type and version through [`MessageType`].

use chrono::{DateTime, Utc};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use uuid::Uuid;

use crate::{ErrorCode, TaskKind, TemplateId};

/// A payload that travels on the wire under a fixed type name and version.
pub trait MessageType: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Dotted type name, e.g. `face.analyze`.
    const TYPE: &'static str;
    /// Schema version; bumped on any breaking change.
    const VERSION: u32;

    /// The AMQP `type` property: `<type>.v<version>`.
    fn amqp_type() -> String {
        format!("{}.v{}", Self::TYPE, Self::VERSION)
    }
}

/// The envelope every AMQP message travels in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Envelope<P> {
    /// Unique message id; also the AMQP `message_id`. Handlers dedupe on it.
    pub id: Uuid,
    /// Dotted message type, e.g. `face.analyze`.
    #[serde(rename = "type")]
    pub message_type: String,
    /// Schema version of `payload`.
    pub version: u32,
    /// When the producer created the message.
    pub occurred_at: DateTime<Utc>,
    /// Ties together all messages caused by one request (usually the request or task id).
    pub correlation_id: Uuid,
    /// Name of the producing service.
    pub producer: String,
    /// The typed body.
    pub payload: P,
}

impl<P: MessageType> Envelope<P> {
    /// Wraps `payload` in a fresh envelope.
    pub fn new(producer: &str, correlation_id: Uuid, payload: P) -> Self {
        Self {
            id: crate::new_id(),
            message_type: P::TYPE.to_owned(),
            version: P::VERSION,
            occurred_at: Utc::now(),
            correlation_id,
            producer: producer.to_owned(),
            payload,
        }
    }

    /// Whether the envelope's declared type and version are the ones `P` expects.
    pub fn matches_type(&self) -> bool {
        self.message_type == P::TYPE && self.version == P::VERSION
    }
}

/// `face.analyze` v1: api -> inference. Analyse the uploaded photo of a task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FaceAnalyzeV1 {
    /// The task this work belongs to.
    pub task_id: Uuid,
    /// The task's owner.
    pub user_id: Uuid,
    /// Emoji paste or zodiac look-alike.
    pub kind: TaskKind,
    /// Emoji template id (only for `emoji`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<TemplateId>,
    /// Object-storage key of the uploaded photo.
    pub image_key: String,
}

impl MessageType for FaceAnalyzeV1 {
    const TYPE: &'static str = "face.analyze";
    const VERSION: u32 = 1;
}

/// `task.succeeded` v1: worker -> api. The task finished; the api persists `result`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TaskSucceededV1 {
    /// The finished task.
    pub task_id: Uuid,
    /// The task's owner.
    pub user_id: Uuid,
    /// What kind of task it was.
    pub kind: TaskKind,
    /// Kind-specific result document.
    pub result: serde_json::Value,
}

impl MessageType for TaskSucceededV1 {
    const TYPE: &'static str = "task.succeeded";
    const VERSION: u32 = 1;
}

/// `task.failed` v1: worker -> api. The task ended with an error code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TaskFailedV1 {
    /// The failed task.
    pub task_id: Uuid,
    /// The task's owner.
    pub user_id: Uuid,
    /// What kind of task it was.
    pub kind: TaskKind,
    /// Stable error code, e.g. `no_face_detected`.
    pub code: ErrorCode,
    /// Human-readable explanation.
    pub detail: String,
}

impl MessageType for TaskFailedV1 {
    const TYPE: &'static str = "task.failed";
    const VERSION: u32 = 1;
}

/// `user.deleted` v1: api -> everyone. Forget this user's derived data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UserDeletedV1 {
    /// The deleted account.
    pub user_id: Uuid,
}

impl MessageType for UserDeletedV1 {
    const TYPE: &'static str = "user.deleted";
    const VERSION: u32 = 1;
}

/// `chat.event` v1: chat replica -> every chat replica, on `moji.chat` with key `room.<id>`.
/// Each replica delivers `frame` to its own sockets of the room's members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ChatEventV1 {
    /// The room.
    pub room_id: Uuid,
    /// The room's seq for stored events (`message`, `member_joined`, `member_left`); absent
    /// for `read` and `typing`, which are not stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    /// The replica that published it; it delivered to its own sockets already.
    pub origin: String,
    /// Whose membership changed, for `member_joined` / `member_left`: replicas add or drop
    /// that person's sockets from the room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member_id: Option<Uuid>,
    /// The server frame, exactly as sockets receive it (docs/chat.md).
    pub frame: serde_json::Value,
}

impl MessageType for ChatEventV1 {
    const TYPE: &'static str = "chat.event";
    const VERSION: u32 = 1;
}

/// `media.process` v1: api -> inference. Resize and re-encode an uploaded image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MediaProcessV1 {
    /// The upload being processed.
    pub media_id: Uuid,
    /// Its owner.
    pub user_id: Uuid,
    /// Object key of the uploaded original.
    pub source_key: String,
    /// Where to store the display image (long side at most 1080 px).
    pub display_key: String,
    /// Where to store the thumbnail (long side at most 320 px).
    pub thumbnail_key: String,
}

impl MessageType for MediaProcessV1 {
    const TYPE: &'static str = "media.process";
    const VERSION: u32 = 1;
}

/// `media.processed` v1: inference -> api. An upload's images are stored, or it failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct MediaProcessedV1 {
    /// The processed upload.
    pub media_id: Uuid,
    /// Its owner.
    pub user_id: Uuid,
    /// What came out.
    pub outcome: MediaOutcome,
}

/// How processing an upload ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum MediaOutcome {
    /// Both images are stored under the keys of the request.
    Ready {
        /// Display image width (after orientation).
        width: u32,
        /// Display image height (the thumbnail has the same proportions).
        height: u32,
    },
    /// The upload cannot become an image (not decodable, too large, ...).
    Failed {
        /// Stable error code, e.g. `invalid_image`.
        code: ErrorCode,
        /// Human-readable reason.
        detail: String,
    },
}

impl MessageType for MediaProcessedV1 {
    const TYPE: &'static str = "media.processed";
    const VERSION: u32 = 1;
}

/// What kind of content a `content.*` event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContentKind {
    /// A post.
    Post,
    /// A product for sale.
    Product,
    /// A public emoji.
    Emoji,
    /// A person's profile.
    Profile,
}

/// The searchable document of a piece of content, as of `updated_at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ContentDocument {
    /// What it is.
    pub kind: ContentKind,
    /// Its id (a profile's is the account id).
    pub id: Uuid,
    /// Who owns it.
    pub owner_id: Uuid,
    /// Title, product name, emoji caption or display name.
    pub title: String,
    /// Body text, description or bio.
    pub text: String,
    /// Tags (posts), empty otherwise.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Price in KRW (products only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<i64>,
    /// When this version was written; consumers keep the newest.
    pub updated_at: DateTime<Utc>,
}

/// `content.created` v1: api -> recommend. New content is visible.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ContentCreatedV1 {
    /// The new content.
    pub content: ContentDocument,
}

impl MessageType for ContentCreatedV1 {
    const TYPE: &'static str = "content.created";
    const VERSION: u32 = 1;
}

/// `content.updated` v1: api -> recommend. Visible content changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ContentUpdatedV1 {
    /// The content as it is now.
    pub content: ContentDocument,
}

impl MessageType for ContentUpdatedV1 {
    const TYPE: &'static str = "content.updated";
    const VERSION: u32 = 1;
}

/// `content.deleted` v1: api -> recommend. Content is gone (or no longer visible).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ContentDeletedV1 {
    /// What it was.
    pub kind: ContentKind,
    /// Its id.
    pub id: Uuid,
    /// Who owned it.
    pub owner_id: Uuid,
    /// When it went.
    pub deleted_at: DateTime<Utc>,
}

impl MessageType for ContentDeletedV1 {
    const TYPE: &'static str = "content.deleted";
    const VERSION: u32 = 1;
}

/// JSON Schemas of every message, as `(file name, schema)`, for `proto/schemas/`.
#[cfg(feature = "schema")]
pub fn all_schemas() -> Vec<(String, serde_json::Value)> {
    fn one<P: MessageType + schemars::JsonSchema>() -> (String, serde_json::Value) {
        let schema = schemars::schema_for!(Envelope<P>);
        let value = serde_json::to_value(&schema).unwrap_or(serde_json::Value::Null);
        (format!("{}.v{}.json", P::TYPE, P::VERSION), value)
    }
    vec![
        one::<FaceAnalyzeV1>(),
        one::<TaskSucceededV1>(),
        one::<TaskFailedV1>(),
        one::<UserDeletedV1>(),
        one::<MediaProcessV1>(),
        one::<MediaProcessedV1>(),
        one::<ContentCreatedV1>(),
        one::<ContentUpdatedV1>(),
        one::<ContentDeletedV1>(),
        one::<ChatEventV1>(),
        one::<crate::course::CourseSuggestV1>(),
        one::<crate::dataset::DatasetGenerateV1>(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_round_trips_with_wire_field_names() {
        let env = Envelope::new(
            "api",
            crate::new_id(),
            UserDeletedV1 {
                user_id: crate::new_id(),
            },
        );
        let json = serde_json::to_value(&env).unwrap();
        assert_eq!(json["type"], "user.deleted");
        assert_eq!(json["version"], 1);
        assert_eq!(json["producer"], "api");
        let back: Envelope<UserDeletedV1> = serde_json::from_value(json).unwrap();
        assert_eq!(back, env);
        assert!(back.matches_type());
        assert_eq!(UserDeletedV1::amqp_type(), "user.deleted.v1");
    }
}
