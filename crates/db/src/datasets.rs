//! Datasets (docs/datasets.md): the durable record of each requested set, the per-person daily
//! image quota, and the search over ready sets.
//!
//! A set's images are taken from the day's quota in the transaction that records it, with its
//! `dataset.generate` message in the outbox, and given back in the one that records its
//! failure or cancellation: the count is exact under concurrent requests and redelivered
//! outcomes, and an accepted set is always queued.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{
    pg::PgConnection,
    prelude::*,
    sql_types::{Integer, Text},
};
use moji_common::dataset::{DatasetCategory, DatasetMethod, DatasetStatus};
use uuid::Uuid;

use crate::{
    keyset::{after_sql, after_sql_ascending, fetched_rows, start_params, Key, Page, Start},
    outbox,
    prepared::{Param, PreparedSql},
    schema::{dataset_quota, datasets, users},
    DbError,
};

/// A dataset's row.
#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = datasets, check_for_backend(diesel::pg::Pg))]
pub struct Dataset {
    /// Id (also its task id in Redis).
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Category.
    pub category: DatasetCategory,
    /// Tags, lower-case.
    pub tags: Vec<Option<String>>,
    /// How the images are made.
    pub method: DatasetMethod,
    /// Side of every image.
    pub size: i32,
    /// Images asked for.
    pub quantity: i32,
    /// The seed.
    pub seed: i64,
    /// The uploaded image.
    pub source_key: String,
    /// Product day whose quota the images took.
    pub day: NaiveDate,
    /// Where it is in its life.
    pub status: DatasetStatus,
    /// The zip, once ready.
    pub zip_key: Option<String>,
    /// Its size in bytes.
    pub zip_bytes: Option<i64>,
    /// The preview sheet, once ready.
    pub preview_key: Option<String>,
    /// What the worker reported (`DatasetResult`).
    pub result: Option<serde_json::Value>,
    /// Price in KRW when listed for sale.
    pub price_krw: Option<i64>,
    /// Downloads so far.
    pub downloads: i64,
    /// Error code once failed.
    pub error_code: Option<String>,
    /// Error explanation once failed.
    pub error_detail: Option<String>,
    /// Client's Idempotency-Key.
    pub idempotency_key: Option<String>,
    /// Submission time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it reached a final state.
    pub finished_at: Option<DateTime<Utc>>,
}

impl Dataset {
    /// The tags.
    pub fn tags(&self) -> Vec<String> {
        self.tags.iter().flatten().cloned().collect()
    }
}

/// A dataset with its owner's handle, as lists show it.
#[derive(Debug, Clone, QueryableByName)]
pub struct Listed {
    /// The dataset.
    #[diesel(embed)]
    pub dataset: Dataset,
    /// Owner's handle.
    #[diesel(sql_type = Text)]
    pub username: String,
}

/// A new dataset.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = datasets)]
pub struct NewDataset {
    /// Id.
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Category.
    pub category: DatasetCategory,
    /// Tags, lower-case, distinct.
    pub tags: Vec<String>,
    /// Method.
    pub method: DatasetMethod,
    /// Side.
    pub size: i32,
    /// Images.
    pub quantity: i32,
    /// Seed.
    pub seed: i64,
    /// The uploaded image.
    pub source_key: String,
    /// Current product day.
    pub day: NaiveDate,
    /// Client's Idempotency-Key.
    pub idempotency_key: Option<String>,
}

/// `RETURNING images` of the quota upsert.
#[derive(QueryableByName)]
struct ImagesUsed {
    #[diesel(sql_type = Integer)]
    images: i32,
}

/// What became of a submission.
#[derive(Debug, Clone)]
pub enum Submitted {
    /// A new dataset, and the images used today including it.
    Created(Dataset, i32),
    /// The dataset this Idempotency-Key already named (nothing taken).
    Existing(Dataset),
    /// The set does not fit in what is left of today's images; how many are used.
    QuotaExceeded(i32),
}

/// Records a dataset and queues `message` (through the outbox) if its images fit in `day`'s
/// quota (`limit` per person), in one transaction; the same user's Idempotency-Key returns
/// its dataset instead.
pub fn submit(
    conn: &mut PgConnection,
    new: &NewDataset,
    limit: i32,
    message: &outbox::Message,
) -> Result<Submitted, DbError> {
    conn.transaction(|conn| {
        if let Some(key) = &new.idempotency_key {
            if let Some(set) = by_idempotency_key(conn, new.user_id, key)? {
                return Ok(Submitted::Existing(set));
            }
        }
        // The row lock this takes makes one person's concurrent submissions queue here.
        let used: Option<ImagesUsed> = diesel::sql_query(
            "INSERT INTO dataset_quota (user_id, day, images) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, day) DO UPDATE SET images = dataset_quota.images + $3 \
             WHERE dataset_quota.images + $3 <= $4 RETURNING images",
        )
        .bind::<diesel::sql_types::Uuid, _>(new.user_id)
        .bind::<diesel::sql_types::Date, _>(new.day)
        .bind::<Integer, _>(new.quantity)
        .bind::<Integer, _>(limit)
        .get_result(conn)
        .optional()?;
        let Some(used) = used.map(|u| u.images).filter(|used| *used <= limit) else {
            return Ok(Submitted::QuotaExceeded(quota_used(
                conn,
                new.user_id,
                new.day,
            )?));
        };
        let inserted: Option<Dataset> = diesel::insert_into(datasets::table)
            .values(new)
            .on_conflict_do_nothing()
            .returning(Dataset::as_returning())
            .get_result(conn)
            .optional()?;
        let Some(set) = inserted else {
            // Another request with this key won between our check and insert: undo our
            // images (the rollback) and hand back theirs.
            return Err(DbError::Conflict("idempotency key".into()));
        };
        outbox::push(conn, std::slice::from_ref(message))?;
        Ok(Submitted::Created(set, used))
    })
    .or_else(|e| match (e, &new.idempotency_key) {
        (DbError::Conflict(_), Some(key)) => by_idempotency_key(conn, new.user_id, key)?
            .map(Submitted::Existing)
            .ok_or(DbError::NotFound),
        (e, _) => Err(e),
    })
}

/// Images `user_id` asked for on `day` (failed and cancelled sets given back).
pub fn quota_used(conn: &mut PgConnection, user_id: Uuid, day: NaiveDate) -> Result<i32, DbError> {
    Ok(dataset_quota::table
        .find((user_id, day))
        .select(dataset_quota::images)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// The dataset with this id.
pub fn get(conn: &mut PgConnection, id: Uuid) -> Result<Dataset, DbError> {
    Ok(datasets::table
        .find(id)
        .select(Dataset::as_select())
        .first(conn)?)
}

/// The dataset with this id and its owner's handle.
pub fn get_listed(conn: &mut PgConnection, id: Uuid) -> Result<Listed, DbError> {
    let (dataset, username) = datasets::table
        .inner_join(users::table)
        .filter(datasets::id.eq(id))
        .select((Dataset::as_select(), users::username))
        .first(conn)?;
    Ok(Listed { dataset, username })
}

/// The dataset this user created with this Idempotency-Key, if any.
pub fn by_idempotency_key(
    conn: &mut PgConnection,
    user_id: Uuid,
    key: &str,
) -> Result<Option<Dataset>, DbError> {
    Ok(datasets::table
        .filter(datasets::user_id.eq(user_id))
        .filter(datasets::idempotency_key.eq(key))
        .select(Dataset::as_select())
        .first(conn)
        .optional()?)
}

const OPEN: [DatasetStatus; 2] = [DatasetStatus::Queued, DatasetStatus::Running];

/// Moves an open dataset to a final `status` without files; the row when it moved, `None`
/// when it was final.
fn close(
    conn: &mut PgConnection,
    id: Uuid,
    status: DatasetStatus,
    error: Option<(&str, &str)>,
) -> Result<Option<Dataset>, DbError> {
    let now = Utc::now();
    Ok(diesel::update(
        datasets::table
            .find(id)
            .filter(datasets::status.eq_any(OPEN)),
    )
    .set((
        datasets::status.eq(status),
        datasets::error_code.eq(error.map(|(code, _)| code)),
        datasets::error_detail.eq(error.map(|(_, detail)| detail)),
        datasets::updated_at.eq(now),
        datasets::finished_at.eq(now),
    ))
    .returning(Dataset::as_returning())
    .get_result(conn)
    .optional()?)
}

/// Gives the images a closed dataset took back to its day.
fn refund(conn: &mut PgConnection, set: &Dataset) -> Result<(), DbError> {
    diesel::update(dataset_quota::table.find((set.user_id, set.day)))
        .set(
            dataset_quota::images.eq(diesel::dsl::sql::<Integer>(&format!(
                "greatest(images - {}, 0)",
                set.quantity.max(0)
            ))),
        )
        .execute(conn)?;
    Ok(())
}

/// Records a failure once and gives the images back; false when it was already final.
pub fn fail(conn: &mut PgConnection, id: Uuid, code: &str, detail: &str) -> Result<bool, DbError> {
    conn.transaction(
        |conn| match close(conn, id, DatasetStatus::Failed, Some((code, detail)))? {
            Some(set) => refund(conn, &set).map(|()| true),
            None => Ok(false),
        },
    )
}

/// Cancels an open dataset and gives its images back; `None` when it was already final.
pub fn cancel(conn: &mut PgConnection, id: Uuid) -> Result<Option<Dataset>, DbError> {
    conn.transaction(|conn| {
        let closed = close(conn, id, DatasetStatus::Cancelled, None)?;
        if let Some(set) = &closed {
            refund(conn, set)?;
        }
        Ok(closed)
    })
}

/// The files of a made set.
#[derive(Debug, Clone)]
pub struct Files {
    /// The zip's key.
    pub zip_key: String,
    /// Its size.
    pub zip_bytes: i64,
    /// The preview's key.
    pub preview_key: String,
    /// The worker's report.
    pub result: serde_json::Value,
}

/// What recording a success did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// The set is ready now.
    Ready,
    /// It already was (a redelivered outcome).
    AlreadyReady,
    /// It had ended otherwise (cancelled, failed): its files must go.
    Ended(DatasetStatus),
}

/// Records a made set once.
pub fn succeed(conn: &mut PgConnection, id: Uuid, files: &Files) -> Result<Recorded, DbError> {
    let now = Utc::now();
    let moved = diesel::update(
        datasets::table
            .find(id)
            .filter(datasets::status.eq_any(OPEN)),
    )
    .set((
        datasets::status.eq(DatasetStatus::Ready),
        datasets::zip_key.eq(&files.zip_key),
        datasets::zip_bytes.eq(files.zip_bytes),
        datasets::preview_key.eq(&files.preview_key),
        datasets::result.eq(&files.result),
        datasets::updated_at.eq(now),
        datasets::finished_at.eq(now),
    ))
    .execute(conn)?;
    if moved == 1 {
        return Ok(Recorded::Ready);
    }
    match get(conn, id)?.status {
        DatasetStatus::Ready => Ok(Recorded::AlreadyReady),
        other => Ok(Recorded::Ended(other)),
    }
}

/// Counts a download.
pub fn count_download(conn: &mut PgConnection, id: Uuid) -> Result<(), DbError> {
    diesel::update(datasets::table.find(id))
        .set(datasets::downloads.eq(datasets::downloads + 1))
        .execute(conn)?;
    Ok(())
}

/// Lists a ready set for sale at `price` KRW, or takes it off sale (`None`). `None` when the
/// set is not ready.
pub fn set_price(
    conn: &mut PgConnection,
    id: Uuid,
    price: Option<i64>,
) -> Result<Option<Dataset>, DbError> {
    Ok(diesel::update(
        datasets::table
            .find(id)
            .filter(datasets::status.eq(DatasetStatus::Ready)),
    )
    .set((
        datasets::price_krw.eq(price),
        datasets::updated_at.eq(Utc::now()),
    ))
    .returning(Dataset::as_returning())
    .get_result(conn)
    .optional()?)
}

/// Changes what is given of a set (`None` leaves a field; `price` `Some(None)` takes the set
/// off sale). The price is only written while the set is ready.
pub fn edit(
    conn: &mut PgConnection,
    id: Uuid,
    title: Option<&str>,
    description: Option<&str>,
    tags: Option<&[String]>,
    price: Option<Option<i64>>,
) -> Result<(), DbError> {
    conn.transaction(|conn| {
        let now = Utc::now();
        let target = datasets::table.find(id);
        if let Some(t) = title {
            diesel::update(target)
                .set((datasets::title.eq(t), datasets::updated_at.eq(now)))
                .execute(conn)?;
        }
        if let Some(d) = description {
            diesel::update(target)
                .set((datasets::description.eq(d), datasets::updated_at.eq(now)))
                .execute(conn)?;
        }
        if let Some(tags) = tags {
            diesel::update(target)
                .set((datasets::tags.eq(tags), datasets::updated_at.eq(now)))
                .execute(conn)?;
        }
        if let Some(price) = price {
            set_price(conn, id, price)?;
        }
        Ok(())
    })
}

/// Removes a set's row (its files are the caller's to remove).
pub fn delete(conn: &mut PgConnection, id: Uuid) -> Result<(), DbError> {
    diesel::delete(datasets::table.find(id)).execute(conn)?;
    Ok(())
}

/// Sort order of the search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Newest first.
    New,
    /// Most downloaded first, then newest.
    Popular,
    /// Cheapest first (sets for sale only).
    Price,
}

/// What a search holds; every condition must hold.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this owner's (and then every status, for the owner's own list).
    pub owner: Option<Uuid>,
    /// Only this category.
    pub category: Option<DatasetCategory>,
    /// Carrying every one of these tags.
    pub tags: Vec<String>,
    /// Matching this search (a tsquery from [`crate::search::query_of`]).
    pub text: Option<String>,
    /// Made this way.
    pub method: Option<DatasetMethod>,
    /// Of this side.
    pub size: Option<i32>,
    /// With at least this many images.
    pub min_quantity: Option<i32>,
    /// For sale at most at this price.
    pub max_price: Option<i64>,
}

const COLUMNS: &str = "d.id, d.user_id, d.title, d.description, d.category, d.tags, d.method, \
    d.size, d.quantity, d.seed, d.source_key, d.day, d.status, d.zip_key, d.zip_bytes, \
    d.preview_key, d.result, d.price_krw, d.downloads, d.error_code, d.error_detail, \
    d.idempotency_key, d.created_at, d.updated_at, d.finished_at, u.username";

/// A keyset page of datasets: an owner's own (every status) or the ready sets everyone can
/// find. [`DbError::BadCursor`] for a key that is not `sort`'s.
pub fn page(
    conn: &mut PgConnection,
    filter: &Filter,
    sort: Sort,
    start: Start,
    limit: i64,
) -> Result<Page<Listed>, DbError> {
    let n = fetched_rows(limit);
    let mut conds: Vec<String> = Vec::new();
    let mut params: Vec<Param> = Vec::new();
    let mut bind = |p: Param| {
        params.push(p);
        params.len()
    };
    match filter.owner {
        Some(owner) => conds.push(format!("d.user_id = ${}", bind(Param::Uuid(owner)))),
        None => conds.push("d.status = 'ready'".into()),
    }
    if let Some(c) = filter.category {
        conds.push(format!("d.category = ${}", bind(Param::Text(c.as_str()))));
    }
    for tag in &filter.tags {
        conds.push(format!(
            "${} = ANY (d.tags)",
            bind(Param::String(tag.clone()))
        ));
    }
    if let Some(q) = &filter.text {
        conds.push(format!(
            "d.search @@ ${}::tsquery",
            bind(Param::String(q.clone()))
        ));
    }
    if let Some(m) = filter.method {
        conds.push(format!("d.method = ${}", bind(Param::Text(m.as_str()))));
    }
    if let Some(s) = filter.size {
        conds.push(format!("d.size = ${}", bind(Param::Int(s))));
    }
    if let Some(q) = filter.min_quantity {
        conds.push(format!("d.quantity >= ${}", bind(Param::Int(q))));
    }
    if let Some(p) = filter.max_price {
        conds.push(format!("d.price_krw <= ${}", bind(Param::BigInt(p))));
    }
    if sort == Sort::Price {
        conds.push("d.price_krw IS NOT NULL".into());
    }
    let next_bind = params.len() + 1;
    let keyset = match (sort, start) {
        (_, Start::Offset(0)) => String::new(),
        (Sort::New, Start::After(Key::Time { .. })) => {
            after_sql(start, "d.created_at, d.id", next_bind)
        }
        (Sort::Popular, Start::After(Key::Popular { .. })) => {
            after_sql(start, "d.downloads, d.created_at, d.id", next_bind)
        }
        (Sort::Price, Start::After(Key::Price { .. })) => {
            after_sql_ascending(start, "d.price_krw, d.id", next_bind)
        }
        _ => return Err(DbError::BadCursor),
    };
    let order = match sort {
        Sort::New => "d.created_at DESC, d.id DESC",
        Sort::Popular => "d.downloads DESC, d.created_at DESC, d.id DESC",
        Sort::Price => "d.price_krw ASC, d.id ASC",
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM datasets d JOIN users u ON u.id = d.user_id \
         WHERE {}{keyset} ORDER BY {order} LIMIT {n}",
        conds.join(" AND ")
    );
    let mut query = PreparedSql::new(sql);
    for p in params.into_iter().chain(start_params(start)) {
        query = query.bind(p);
    }
    let rows: Vec<Listed> = query.load(conn)?;
    Ok(Page::from_rows(rows, limit, 0, |row| {
        let d = &row.dataset;
        match sort {
            Sort::New => Key::Time {
                at: d.created_at,
                id: d.id,
            },
            Sort::Popular => Key::Popular {
                likes: d.downloads,
                at: d.created_at,
                id: d.id,
            },
            Sort::Price => Key::Price {
                price: d.price_krw.unwrap_or(0),
                id: d.id,
            },
        }
    }))
}
