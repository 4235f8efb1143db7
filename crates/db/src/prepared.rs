//! Hand-written SQL that PostgreSQL plans once per connection. diesel's `sql_query` is never
//! kept as a prepared statement, so a complex page query was parsed and planned on every
//! request (about 0.3 ms of PostgreSQL CPU for a gallery page, measured with pgbench). This
//! query type tells diesel it is safe to cache, keyed by its SQL text and bind types: the
//! SQL must therefore come from a small fixed set (values go in binds, never in the text).

use chrono::{DateTime, Utc};
use diesel::{
    pg::Pg,
    query_builder::{AstPass, Query, QueryFragment, QueryId},
    sql_types::{BigInt, Integer, Nullable, Text, Timestamptz, Untyped, Uuid as SqlUuid},
    QueryResult, RunQueryDsl,
};
use uuid::Uuid;

/// A bind value of [`PreparedSql`].
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// `uuid`.
    Uuid(Uuid),
    /// `uuid`, possibly NULL.
    OptUuid(Option<Uuid>),
    /// `text`, fixed.
    Text(&'static str),
    /// `text`, from input.
    String(String),
    /// `timestamptz`.
    Time(DateTime<Utc>),
    /// `int4`.
    Int(i32),
    /// `int8`.
    BigInt(i64),
}

/// Raw SQL with `$n` binds, run as a cached prepared statement; rows load by column name
/// (`QueryableByName`), as with `sql_query`.
#[derive(Debug, Clone)]
pub struct PreparedSql {
    sql: String,
    params: Vec<Param>,
}

impl PreparedSql {
    /// The statement `sql`; it must be one of a fixed set of texts (see the module docs).
    pub fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            params: Vec::new(),
        }
    }

    /// Adds the next bind.
    pub fn bind(mut self, param: Param) -> Self {
        self.params.push(param);
        self
    }
}

impl PreparedSql {
    fn push_param<'b>(param: &'b Param, out: &mut AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        match param {
            Param::Uuid(v) => out.push_bind_param::<SqlUuid, _>(v),
            Param::OptUuid(v) => out.push_bind_param::<Nullable<SqlUuid>, _>(v),
            Param::Text(v) => out.push_bind_param::<Text, _>(*v),
            Param::String(v) => out.push_bind_param::<Text, _>(v),
            Param::Time(v) => out.push_bind_param::<Timestamptz, _>(v),
            Param::Int(v) => out.push_bind_param::<Integer, _>(v),
            Param::BigInt(v) => out.push_bind_param::<BigInt, _>(v),
        }
    }
}

/// Writes the SQL with each `$n` replaced by a bind of the n-th parameter (diesel numbers
/// the placeholders itself, so a parameter used twice is bound twice).
impl QueryFragment<Pg> for PreparedSql {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let mut rest = self.sql.as_str();
        while let Some(at) = rest.find('$') {
            out.push_sql(&rest[..at]);
            let digits = rest[at + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len() - at - 1);
            let number: usize = rest[at + 1..at + 1 + digits].parse().map_err(|_| {
                diesel::result::Error::QueryBuilderError(
                    format!("a `$` without a parameter number in: {}", self.sql).into(),
                )
            })?;
            let param = number
                .checked_sub(1)
                .and_then(|i| self.params.get(i))
                .ok_or_else(|| {
                    diesel::result::Error::QueryBuilderError(
                        format!("no parameter ${number} for: {}", self.sql).into(),
                    )
                })?;
            Self::push_param(param, &mut out)?;
            rest = &rest[at + 1 + digits..];
        }
        out.push_sql(rest);
        Ok(())
    }
}

impl QueryId for PreparedSql {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for PreparedSql {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for PreparedSql {}

#[cfg(test)]
mod tests {
    use diesel::{pg::PgQueryBuilder, query_builder::QueryBuilder};

    use super::*;

    fn sql_of(query: &PreparedSql) -> QueryResult<String> {
        let mut builder = PgQueryBuilder::default();
        query.to_sql(&mut builder, &Pg)?;
        Ok(builder.finish())
    }

    #[test]
    fn each_reference_becomes_its_own_placeholder_in_order() {
        let query = PreparedSql::new("SELECT $2, $1 WHERE x = $2 LIMIT 21")
            .bind(Param::Int(1))
            .bind(Param::BigInt(2));
        assert_eq!(
            sql_of(&query).unwrap(),
            "SELECT $1, $2 WHERE x = $3 LIMIT 21"
        );
        let shown = diesel::debug_query::<Pg, _>(&query).to_string();
        assert!(shown.ends_with("[2, 1, 2]"), "{shown}");
    }

    #[test]
    fn a_reference_without_its_parameter_is_an_error() {
        assert!(sql_of(&PreparedSql::new("SELECT $3").bind(Param::Int(1))).is_err());
        assert!(sql_of(&PreparedSql::new("SELECT $x")).is_err());
        assert!(sql_of(&PreparedSql::new("SELECT $0")).is_err());
    }
}
