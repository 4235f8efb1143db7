//! Reports and moderation (issue 17): filing reports (one open report per reporter and
//! target), the admin queue grouped by target, resolving a target's reports, hiding content,
//! suspensions and bans, the audit log of every action and the report statistics.

use chrono::{DateTime, Utc};
use diesel::{
    pg::PgConnection,
    prelude::*,
    sql_types::{Array, BigInt, Double, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use moji_common::moderation::{ReportReason, ReportStatus, ReportTarget};
use uuid::Uuid;

use crate::{
    keyset::{fetched_rows, Key, Page, Start},
    schema::{moderation_actions, posts, products, reports, users},
    DbError,
};

/// A report to file.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = reports)]
pub struct NewReport {
    /// UUIDv7.
    pub id: Uuid,
    /// Who reports.
    pub reporter_id: Uuid,
    /// What kind of thing.
    pub target_type: ReportTarget,
    /// Its id.
    pub target_id: Uuid,
    /// Whose it is (the person, for a user report).
    pub target_owner: Option<Uuid>,
    /// Why.
    pub reason: ReportReason,
    /// The reporter's words (may be empty).
    pub text: String,
}

/// A report as its reporter sees it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reports, check_for_backend(diesel::pg::Pg))]
pub struct Report {
    /// UUIDv7.
    pub id: Uuid,
    /// Who reported.
    pub reporter_id: Uuid,
    /// What kind of thing.
    pub target_type: ReportTarget,
    /// Its id.
    pub target_id: Uuid,
    /// Why.
    pub reason: ReportReason,
    /// The reporter's words.
    pub text: String,
    /// Where it stands.
    pub status: ReportStatus,
    /// When an admin closed it.
    pub handled_at: Option<DateTime<Utc>>,
    /// What the admin decided (`hide`, `delete`, `warn`, `dismiss`, …).
    pub resolution: Option<String>,
    /// When it was filed.
    pub created_at: DateTime<Utc>,
}

/// The owner of a reported thing, if it exists: `Some(owner)` (the owner may be gone, as a
/// chat message's deleted sender), `None` when there is no such thing.
pub fn target_owner(
    conn: &mut PgConnection,
    target: ReportTarget,
    id: Uuid,
) -> Result<Option<Option<Uuid>>, DbError> {
    use crate::schema::{chat_messages, comments, datasets, emojis};
    let owner: Option<Option<Uuid>> = match target {
        ReportTarget::User => users::table
            .find(id)
            .select(users::id.nullable())
            .first(conn)
            .optional()?,
        ReportTarget::Post => posts::table
            .find(id)
            .select(posts::author_id.nullable())
            .first(conn)
            .optional()?,
        ReportTarget::Comment | ReportTarget::Reply => comments::table
            .find(id)
            .filter(
                comments::parent_id
                    .is_not_null()
                    .eq(target == ReportTarget::Reply),
            )
            .select(comments::author_id.nullable())
            .first(conn)
            .optional()?,
        ReportTarget::Product => products::table
            .find(id)
            .select(products::seller_id.nullable())
            .first(conn)
            .optional()?,
        ReportTarget::Emoji => emojis::table
            .find(id)
            .select(emojis::user_id.nullable())
            .first(conn)
            .optional()?,
        ReportTarget::Dataset => datasets::table
            .find(id)
            .select(datasets::user_id.nullable())
            .first(conn)
            .optional()?,
        ReportTarget::ChatMessage => chat_messages::table
            .filter(chat_messages::id.eq(id))
            .select(chat_messages::sender_id)
            .first(conn)
            .optional()?,
    };
    Ok(owner)
}

/// How many reports `reporter` filed since `since` (the daily limit).
pub fn filed_since(
    conn: &mut PgConnection,
    reporter: Uuid,
    since: DateTime<Utc>,
) -> Result<i64, DbError> {
    Ok(reports::table
        .filter(reports::reporter_id.eq(reporter))
        .filter(reports::created_at.ge(since))
        .count()
        .get_result(conn)?)
}

/// Files a report and returns it with the number of distinct people whose reports on the
/// same target are open. A second open report by the same person on the same target is
/// [`DbError::UniqueViolation`] (`reports_open_once`).
pub fn file(conn: &mut PgConnection, new: &NewReport) -> Result<(Report, i64), DbError> {
    conn.transaction(|conn| {
        let report = diesel::insert_into(reports::table)
            .values(new)
            .returning(Report::as_returning())
            .get_result(conn)?;
        let reporters = open_reporters(conn, new.target_type, new.target_id)?;
        Ok((report, reporters))
    })
}

/// Distinct people with an open report on a target.
pub fn open_reporters(
    conn: &mut PgConnection,
    target: ReportTarget,
    id: Uuid,
) -> Result<i64, DbError> {
    Ok(reports::table
        .filter(reports::target_type.eq(target))
        .filter(reports::target_id.eq(id))
        .filter(reports::status.eq_any([ReportStatus::Received, ReportStatus::InReview]))
        .select(diesel::dsl::sql::<BigInt>("count(DISTINCT reporter_id)"))
        .get_result(conn)?)
}

/// A page of `reporter`'s reports, newest first.
pub fn mine(
    conn: &mut PgConnection,
    reporter: Uuid,
    start: Start,
    limit: i64,
) -> Result<Page<Report>, DbError> {
    let mut query = reports::table
        .filter(reports::reporter_id.eq(reporter))
        .select(Report::as_select())
        .order((reports::created_at.desc(), reports::id.desc()))
        .limit(fetched_rows(limit))
        .into_boxed();
    match start {
        Start::Offset(n) => query = query.offset(n),
        Start::After(Key::Time { at, id }) => {
            query = query.filter(
                reports::created_at
                    .lt(at)
                    .or(reports::created_at.eq(at).and(reports::id.lt(id))),
            );
        }
        Start::After(_) => return Err(DbError::BadCursor),
    }
    let rows = query.load(conn)?;
    Ok(Page::from_rows(rows, limit, 0, |r| Key::Time {
        at: r.created_at,
        id: r.id,
    }))
}

/// Which reports the admin queue shows.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    /// Only targets with reports in this status; `None`: open ones (received or in review).
    pub status: Option<ReportStatus>,
    /// Only this kind of target.
    pub target_type: Option<ReportTarget>,
    /// Only reports with this reason.
    pub reason: Option<ReportReason>,
    /// Only reports filed at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only reports filed before this time.
    pub to: Option<DateTime<Utc>>,
}

/// One reported target in the admin queue, with its matching reports counted.
#[derive(Debug, Clone, QueryableByName)]
pub struct QueuedTarget {
    /// What kind of thing.
    #[diesel(sql_type = Text)]
    pub target_type: ReportTarget,
    /// Its id.
    #[diesel(sql_type = SqlUuid)]
    pub target_id: Uuid,
    /// Whose it is.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub owner_id: Option<Uuid>,
    /// The owner's handle (never shown to reporters).
    #[diesel(sql_type = Nullable<Text>)]
    pub owner_username: Option<String>,
    /// A short text to recognise it by (title, name, comment or message text, handle).
    #[diesel(sql_type = Nullable<Text>)]
    pub preview: Option<String>,
    /// `published`, `hidden`, `pending`, `failed` (posts and products), `present` or `deleted`.
    #[diesel(sql_type = Text)]
    pub state: String,
    /// Matching reports.
    #[diesel(sql_type = BigInt)]
    pub reports: i64,
    /// Matching reports still open.
    #[diesel(sql_type = BigInt)]
    pub open_reports: i64,
    /// Distinct people with an open report on it (all reasons and dates).
    #[diesel(sql_type = BigInt)]
    pub open_reporters: i64,
    /// The reason of each matching report.
    #[diesel(sql_type = Array<Text>)]
    pub reasons: Vec<String>,
    /// The first matching report's time.
    #[diesel(sql_type = Timestamptz)]
    pub first_reported_at: DateTime<Utc>,
    /// The latest matching report's time (the queue's order).
    #[diesel(sql_type = Timestamptz)]
    pub last_reported_at: DateTime<Utc>,
}

/// A newest-first page's start as bind values: the time and id to start after, or the rows
/// to skip.
type StartBinds = (Option<DateTime<Utc>>, Option<Uuid>, i64);

/// The [`StartBinds`] of `start` (only [`Key::Time`] keys belong to these lists).
fn newest_first(start: Start) -> Result<StartBinds, DbError> {
    match start {
        Start::Offset(n) => Ok((None, None, n)),
        Start::After(Key::Time { at, id }) => Ok((Some(at), Some(id), 0)),
        Start::After(_) => Err(DbError::BadCursor),
    }
}

/// A page of reported targets, the most recently reported first.
pub fn queue(
    conn: &mut PgConnection,
    filter: &QueueFilter,
    start: Start,
    limit: i64,
) -> Result<Page<QueuedTarget>, DbError> {
    let (after_at, after_id, offset) = newest_first(start)?;
    let statuses: Vec<String> = match filter.status {
        Some(s) => vec![s.as_str().to_owned()],
        None => vec!["received".into(), "in_review".into()],
    };
    let rows: Vec<QueuedTarget> = diesel::sql_query(
        "WITH g AS (
             SELECT r.target_type, r.target_id, (array_agg(r.target_owner))[1] AS owner_id,
                    count(*) AS reports,
                    count(*) FILTER (WHERE r.status IN ('received', 'in_review')) AS open_reports,
                    array_agg(r.reason ORDER BY r.created_at) AS reasons,
                    min(r.created_at) AS first_reported_at, max(r.created_at) AS last_reported_at
             FROM reports r
             WHERE r.status = ANY($1)
               AND ($2::text IS NULL OR r.target_type = $2)
               AND ($3::text IS NULL OR r.reason = $3)
               AND ($4::timestamptz IS NULL OR r.created_at >= $4)
               AND ($5::timestamptz IS NULL OR r.created_at < $5)
             GROUP BY r.target_type, r.target_id
             HAVING $6::timestamptz IS NULL
                 OR (max(r.created_at), r.target_id) < ($6::timestamptz, $7::uuid)
             ORDER BY max(r.created_at) DESC, r.target_id DESC
             LIMIT $8 OFFSET $9
         )
         SELECT g.target_type, g.target_id, g.owner_id, u.username AS owner_username,
                CASE g.target_type
                    WHEN 'user' THEN (SELECT x.display_name FROM users x WHERE x.id = g.target_id)
                    WHEN 'post' THEN (SELECT x.title FROM posts x WHERE x.id = g.target_id)
                    WHEN 'product' THEN (SELECT x.name FROM products x WHERE x.id = g.target_id)
                    WHEN 'emoji' THEN (SELECT x.template FROM emojis x WHERE x.id = g.target_id)
                    WHEN 'dataset' THEN (SELECT x.title FROM datasets x WHERE x.id = g.target_id)
                    WHEN 'chat_message' THEN
                        (SELECT left(x.text, 200) FROM chat_messages x WHERE x.id = g.target_id)
                    ELSE (SELECT left(x.text, 200) FROM comments x WHERE x.id = g.target_id)
                END AS preview,
                CASE g.target_type
                    WHEN 'post' THEN coalesce((SELECT x.status FROM posts x WHERE x.id = g.target_id), 'deleted')
                    WHEN 'product' THEN coalesce((SELECT x.status FROM products x WHERE x.id = g.target_id), 'deleted')
                    WHEN 'user' THEN CASE WHEN EXISTS (SELECT 1 FROM users x WHERE x.id = g.target_id) THEN 'present' ELSE 'deleted' END
                    WHEN 'emoji' THEN CASE WHEN EXISTS (SELECT 1 FROM emojis x WHERE x.id = g.target_id) THEN 'present' ELSE 'deleted' END
                    WHEN 'dataset' THEN CASE WHEN EXISTS (SELECT 1 FROM datasets x WHERE x.id = g.target_id) THEN 'present' ELSE 'deleted' END
                    WHEN 'chat_message' THEN CASE WHEN EXISTS (SELECT 1 FROM chat_messages x WHERE x.id = g.target_id) THEN 'present' ELSE 'deleted' END
                    ELSE CASE WHEN EXISTS (SELECT 1 FROM comments x WHERE x.id = g.target_id) THEN 'present' ELSE 'deleted' END
                END AS state,
                g.reports, g.open_reports,
                (SELECT count(DISTINCT o.reporter_id) FROM reports o
                  WHERE o.target_type = g.target_type AND o.target_id = g.target_id
                    AND o.status IN ('received', 'in_review')) AS open_reporters,
                g.reasons, g.first_reported_at, g.last_reported_at
         FROM g LEFT JOIN users u ON u.id = g.owner_id
         ORDER BY g.last_reported_at DESC, g.target_id DESC",
    )
    .bind::<Array<Text>, _>(&statuses)
    .bind::<Nullable<Text>, _>(filter.target_type.map(|t| t.as_str()))
    .bind::<Nullable<Text>, _>(filter.reason.map(|r| r.as_str()))
    .bind::<Nullable<Timestamptz>, _>(filter.from)
    .bind::<Nullable<Timestamptz>, _>(filter.to)
    .bind::<Nullable<Timestamptz>, _>(after_at)
    .bind::<Nullable<SqlUuid>, _>(after_id)
    .bind::<BigInt, _>(fetched_rows(limit))
    .bind::<BigInt, _>(offset)
    .load(conn)?;
    Ok(Page::from_rows(rows, limit, 0, |t| Key::Time {
        at: t.last_reported_at,
        id: t.target_id,
    }))
}

/// One report of a target, for the admin (with the reporter's handle).
#[derive(Debug, Clone, QueryableByName)]
pub struct TargetReport {
    /// UUIDv7.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// Reporter's handle (`None` once their account is gone).
    #[diesel(sql_type = Nullable<Text>)]
    pub reporter: Option<String>,
    /// Why.
    #[diesel(sql_type = Text)]
    pub reason: ReportReason,
    /// Their words.
    #[diesel(sql_type = Text)]
    pub text: String,
    /// Where it stands.
    #[diesel(sql_type = Text)]
    pub status: ReportStatus,
    /// Filed at.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// The latest `limit` reports on a target, newest first.
pub fn reports_of(
    conn: &mut PgConnection,
    target: ReportTarget,
    id: Uuid,
    limit: i64,
) -> Result<Vec<TargetReport>, DbError> {
    Ok(diesel::sql_query(
        "SELECT r.id, u.username AS reporter, r.reason, r.text, r.status, r.created_at
         FROM reports r LEFT JOIN users u ON u.id = r.reporter_id
         WHERE r.target_type = $1 AND r.target_id = $2
         ORDER BY r.created_at DESC, r.id DESC LIMIT $3",
    )
    .bind::<Text, _>(target.as_str())
    .bind::<SqlUuid, _>(id)
    .bind::<BigInt, _>(limit)
    .load(conn)?)
}

/// Puts a target's received reports `in_review`; returns how many.
pub fn start_review(
    conn: &mut PgConnection,
    target: ReportTarget,
    id: Uuid,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        reports::table
            .filter(reports::target_type.eq(target))
            .filter(reports::target_id.eq(id))
            .filter(reports::status.eq(ReportStatus::Received)),
    )
    .set(reports::status.eq(ReportStatus::InReview))
    .execute(conn)?)
}

/// How an admin closed a target's open reports.
#[derive(Debug, Clone)]
pub struct Closing {
    /// The admin.
    pub admin_id: Uuid,
    /// `resolved` or `dismissed`.
    pub status: ReportStatus,
    /// What was done (`hide`, `delete`, `warn`, `suspend`, `ban`, `dismiss`).
    pub resolution: String,
    /// Why (may be empty).
    pub note: String,
}

/// The columns a closing writes on each report it closes.
#[derive(AsChangeset)]
#[diesel(table_name = reports)]
struct ClosedReport<'a> {
    status: ReportStatus,
    handled_by: Uuid,
    handled_at: DateTime<Utc>,
    resolution: &'a str,
    note: &'a str,
}

impl Closing {
    fn changes(&self) -> ClosedReport<'_> {
        ClosedReport {
            status: self.status,
            handled_by: self.admin_id,
            handled_at: Utc::now(),
            resolution: &self.resolution,
            note: &self.note,
        }
    }
}

/// Closes every open report on a target; returns how many.
pub fn close_reports(
    conn: &mut PgConnection,
    target: ReportTarget,
    id: Uuid,
    closing: &Closing,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        reports::table
            .filter(reports::target_type.eq(target))
            .filter(reports::target_id.eq(id))
            .filter(reports::status.eq_any([ReportStatus::Received, ReportStatus::InReview])),
    )
    .set(closing.changes())
    .execute(conn)?)
}

/// Closes every open report about a person or their content (after a suspension or ban).
pub fn close_reports_on_owner(
    conn: &mut PgConnection,
    owner: Uuid,
    closing: &Closing,
) -> Result<usize, DbError> {
    Ok(diesel::update(
        reports::table
            .filter(reports::target_owner.eq(owner))
            .filter(reports::status.eq_any([ReportStatus::Received, ReportStatus::InReview])),
    )
    .set(closing.changes())
    .execute(conn)?)
}

/// Hides (`hidden = true`) a published post or product, or publishes a hidden one again.
/// Returns whether the status changed; other kinds and other states are left alone.
pub fn set_hidden(
    conn: &mut PgConnection,
    target: ReportTarget,
    id: Uuid,
    hidden: bool,
) -> Result<bool, DbError> {
    let (from, to) = if hidden {
        ("published", "hidden")
    } else {
        ("hidden", "published")
    };
    let n = match target {
        ReportTarget::Post => diesel::update(posts::table.find(id).filter(posts::status.eq(from)))
            .set(posts::status.eq(to))
            .execute(conn)?,
        ReportTarget::Product => {
            diesel::update(products::table.find(id).filter(products::status.eq(from)))
                .set(products::status.eq(to))
                .execute(conn)?
        }
        _ => 0,
    };
    Ok(n > 0)
}

/// An account's suspension state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Queryable)]
pub struct AccountStanding {
    /// Suspended until then (may be past).
    pub suspended_until: Option<DateTime<Utc>>,
    /// Banned since then.
    pub banned_at: Option<DateTime<Utc>>,
}

impl AccountStanding {
    /// Whether the account may not sign in at `now`: `Some(None)` banned, `Some(Some(t))`
    /// suspended until `t`, `None` in good standing.
    pub fn blocked_at(self, now: DateTime<Utc>) -> Option<Option<DateTime<Utc>>> {
        if self.banned_at.is_some() {
            return Some(None);
        }
        self.suspended_until.filter(|until| *until > now).map(Some)
    }
}

/// `user_id`'s suspension state (default for an unknown account).
pub fn standing(conn: &mut PgConnection, user_id: Uuid) -> Result<AccountStanding, DbError> {
    let row: Option<AccountStanding> = users::table
        .find(user_id)
        .select((users::suspended_until, users::banned_at))
        .first(conn)
        .optional()?;
    Ok(row.unwrap_or_default())
}

/// Sets an account's standing: suspended until `until`, banned (`until = None`, `ban`), or
/// reinstated (`None`, not `ban`). Revokes every session family when it blocks and returns
/// their ids.
pub fn set_standing(
    conn: &mut PgConnection,
    user_id: Uuid,
    standing: AccountStanding,
) -> Result<Vec<Uuid>, DbError> {
    conn.transaction(|conn| {
        let n = diesel::update(users::table.find(user_id))
            .set((
                users::suspended_until.eq(standing.suspended_until),
                users::banned_at.eq(standing.banned_at),
            ))
            .execute(conn)?;
        if n == 0 {
            return Err(DbError::NotFound);
        }
        if standing.blocked_at(Utc::now()).is_none() {
            return Ok(Vec::new());
        }
        crate::sessions::revoke_all_for_user(conn, user_id, None, "suspended")
    })
}

/// One audit-log row to write.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = moderation_actions)]
pub struct NewAction {
    /// UUIDv7.
    pub id: Uuid,
    /// The admin; `None` for the automatic hide.
    pub actor_id: Option<Uuid>,
    /// What was done.
    pub action: String,
    /// To what kind of thing.
    pub target_type: String,
    /// Its id.
    pub target_id: Uuid,
    /// Whom it concerns.
    pub subject_id: Option<Uuid>,
    /// Why.
    pub reason: String,
    /// Until when (suspensions).
    pub until: Option<DateTime<Utc>>,
}

/// Writes an audit-log row.
pub fn record(conn: &mut PgConnection, action: &NewAction) -> Result<(), DbError> {
    diesel::insert_into(moderation_actions::table)
        .values(action)
        .execute(conn)?;
    Ok(())
}

/// An audit-log row with the handles of who did it and whom it concerns.
#[derive(Debug, Clone, QueryableByName)]
pub struct AuditEntry {
    /// UUIDv7.
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    /// The admin's handle; `None` for the automatic hide (or a deleted admin).
    #[diesel(sql_type = Nullable<Text>)]
    pub actor: Option<String>,
    /// What was done.
    #[diesel(sql_type = Text)]
    pub action: String,
    /// To what kind of thing.
    #[diesel(sql_type = Text)]
    pub target_type: String,
    /// Its id.
    #[diesel(sql_type = SqlUuid)]
    pub target_id: Uuid,
    /// Whom it concerns.
    #[diesel(sql_type = Nullable<Text>)]
    pub subject: Option<String>,
    /// Why.
    #[diesel(sql_type = Text)]
    pub reason: String,
    /// Until when.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub until: Option<DateTime<Utc>>,
    /// When.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// A page of the audit log, newest first; only `subject`'s warnings when `warnings_of`.
pub fn audit(
    conn: &mut PgConnection,
    warnings_of: Option<Uuid>,
    start: Start,
    limit: i64,
) -> Result<Page<AuditEntry>, DbError> {
    let (after_at, after_id, offset) = newest_first(start)?;
    let rows: Vec<AuditEntry> = diesel::sql_query(
        "SELECT m.id, a.username AS actor, m.action, m.target_type, m.target_id,
                s.username AS subject, m.reason, m.until, m.created_at
         FROM moderation_actions m
         LEFT JOIN users a ON a.id = m.actor_id
         LEFT JOIN users s ON s.id = m.subject_id
         WHERE ($1::uuid IS NULL OR (m.subject_id = $1 AND m.action = 'warn'))
           AND ($2::timestamptz IS NULL OR (m.created_at, m.id) < ($2, $3::uuid))
         ORDER BY m.created_at DESC, m.id DESC
         LIMIT $4 OFFSET $5",
    )
    .bind::<Nullable<SqlUuid>, _>(warnings_of)
    .bind::<Nullable<Timestamptz>, _>(after_at)
    .bind::<Nullable<SqlUuid>, _>(after_id)
    .bind::<BigInt, _>(fetched_rows(limit))
    .bind::<BigInt, _>(offset)
    .load(conn)?;
    Ok(Page::from_rows(rows, limit, 0, |e| Key::Time {
        at: e.created_at,
        id: e.id,
    }))
}

/// A count under one name.
#[derive(Debug, Clone, QueryableByName)]
pub struct Count {
    /// What is counted (a status, type, reason or day).
    #[diesel(sql_type = Text)]
    pub key: String,
    /// How many.
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

#[derive(QueryableByName)]
struct Median {
    #[diesel(sql_type = Nullable<Double>)]
    seconds: Option<f64>,
}

/// Report statistics since `since`.
#[derive(Debug, Clone)]
pub struct ReportStats {
    /// By status.
    pub by_status: Vec<Count>,
    /// By target type.
    pub by_type: Vec<Count>,
    /// By reason.
    pub by_reason: Vec<Count>,
    /// Filed per day (UTC dates, `YYYY-MM-DD`), oldest first.
    pub by_day: Vec<Count>,
    /// Median seconds from filing to an admin's decision, over closed reports.
    pub median_resolution_secs: Option<f64>,
}

/// Counts the reports filed since `since`.
pub fn stats(conn: &mut PgConnection, since: DateTime<Utc>) -> Result<ReportStats, DbError> {
    let count_by = |conn: &mut PgConnection, key: &str, order: &str| {
        diesel::sql_query(format!(
            "SELECT {key} AS key, count(*) AS count FROM reports WHERE created_at >= $1
             GROUP BY 1 ORDER BY {order}"
        ))
        .bind::<Timestamptz, _>(since)
        .load::<Count>(conn)
    };
    let by_status = count_by(conn, "status", "2 DESC, 1")?;
    let by_type = count_by(conn, "target_type", "2 DESC, 1")?;
    let by_reason = count_by(conn, "reason", "2 DESC, 1")?;
    let by_day = count_by(
        conn,
        "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        "1",
    )?;
    let median: Median = diesel::sql_query(
        "SELECT percentile_cont(0.5) WITHIN GROUP
                  (ORDER BY extract(epoch FROM handled_at - created_at)::float8) AS seconds
         FROM reports WHERE created_at >= $1 AND handled_at IS NOT NULL",
    )
    .bind::<Timestamptz, _>(since)
    .get_result(conn)?;
    Ok(ReportStats {
        by_status,
        by_type,
        by_reason,
        by_day,
        median_resolution_secs: median.seconds,
    })
}

/// Whether `user_id` is an admin (false for an unknown account).
pub fn is_admin(conn: &mut PgConnection, user_id: Uuid) -> Result<bool, DbError> {
    Ok(diesel::select(diesel::dsl::exists(
        users::table.find(user_id).filter(users::role.eq("admin")),
    ))
    .get_result::<bool>(conn)?)
}
