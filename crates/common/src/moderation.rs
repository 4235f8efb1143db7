//! The vocabulary of reports and moderation (issue 17): what can be reported, why, where a
//! report stands and what an admin did about it.

wire_enum! {
    /// What a report is about.
    pub enum ReportTarget {
        /// A person (their profile, name or behaviour).
        User = "user",
        /// A post.
        Post = "post",
        /// A top-level comment.
        Comment = "comment",
        /// A reply to a comment.
        Reply = "reply",
        /// A market product.
        Product = "product",
        /// A saved emoji.
        Emoji = "emoji",
        /// A generated dataset.
        Dataset = "dataset",
        /// A chat message.
        ChatMessage = "chat_message",
    }
}

wire_enum! {
    /// Why something is reported.
    pub enum ReportReason {
        /// Advertising, scams, repeated junk.
        Spam = "spam",
        /// Harassment, hate, threats.
        Abuse = "abuse",
        /// Sexual content.
        Sexual = "sexual",
        /// Something against the law.
        Illegal = "illegal",
        /// Someone else's work used without leave.
        Copyright = "copyright",
        /// Anything else (say what in `text`).
        Other = "other",
    }
}

wire_enum! {
    /// Where a report stands: `received → in_review → resolved | dismissed`.
    pub enum ReportStatus {
        /// Filed, not yet looked at.
        Received = "received",
        /// An admin is looking at it.
        InReview = "in_review",
        /// An admin acted on it.
        Resolved = "resolved",
        /// An admin found nothing to act on.
        Dismissed = "dismissed",
    }
}

wire_enum! {
    /// What an admin does about a reported target.
    pub enum ModerationAction {
        /// Start reviewing (the reports become `in_review`).
        Review = "review",
        /// Nothing to act on; hidden content comes back.
        Dismiss = "dismiss",
        /// Hide the content from everyone but its owner.
        Hide = "hide",
        /// Delete the content.
        Delete = "delete",
        /// Warn its owner (they see it under their warnings).
        Warn = "warn",
    }
}

impl ReportStatus {
    /// Whether the report still waits for an admin.
    pub fn is_open(self) -> bool {
        matches!(self, ReportStatus::Received | ReportStatus::InReview)
    }
}

impl ReportTarget {
    /// Whether content of this kind can be hidden (it has a published/hidden state).
    pub fn hideable(self) -> bool {
        matches!(self, ReportTarget::Post | ReportTarget::Product)
    }
}
