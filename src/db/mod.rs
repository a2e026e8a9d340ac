//! The database layer: one `Db` over SQLite (embedded default) or PostgreSQL.
//!
//! Queries are written once, with `$1…$n` placeholders, and run unchanged on both backends.
//! Values are passed as [`Arg`]s so that a query can be built once and bound on either pool.
//! The few places where the two SQL dialects differ (full-text search, advisory locks, backup)
//! live in this module and in [`search`], nowhere else.

mod migrate;
pub mod search;
pub mod sqlite_raw;

use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use chrono::NaiveDate;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, FromRow, PgPool, Postgres, Sqlite, SqlitePool};

pub use migrate::{MIGRATIONS, Migration};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database URL {0:?} is not understood: use a file path, sqlite://FILE or postgres://…")]
    BadUrl(String),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: i64,
        name: &'static str,
        source: sqlx::Error,
    },
}

impl DbError {
    /// True when the error is a unique-constraint violation, which callers usually turn into a
    /// field message ("that email is already registered") rather than a server error.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DbError::Sqlx(sqlx::Error::Database(e)) => e.is_unique_violation(),
            _ => false,
        }
    }
}

pub type DbResult<T> = Result<T, DbError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A value bound to a `$n` placeholder. Every variant carries an `Option` so that a NULL keeps
/// its SQL type, which PostgreSQL needs to plan the statement.
#[derive(Debug, Clone)]
pub enum Arg {
    Bool(Option<bool>),
    I64(Option<i64>),
    F64(Option<f64>),
    Text(Option<String>),
    Date(Option<NaiveDate>),
    /// File contents (BLOB on SQLite, BYTEA on PostgreSQL).
    Bytes(Option<Vec<u8>>),
}

macro_rules! arg_from {
    ($variant:ident, $t:ty, $conv:expr) => {
        impl From<$t> for Arg {
            fn from(v: $t) -> Self {
                Arg::$variant(Some(($conv)(v)))
            }
        }
        impl From<Option<$t>> for Arg {
            fn from(v: Option<$t>) -> Self {
                Arg::$variant(v.map($conv))
            }
        }
    };
}
arg_from!(Bool, bool, |v| v);
arg_from!(I64, i64, |v| v);
arg_from!(I64, i32, i64::from);
arg_from!(I64, u32, i64::from);
arg_from!(F64, f64, |v| v);
arg_from!(Text, String, |v| v);
arg_from!(Text, &str, str::to_owned);
arg_from!(Text, &String, String::clone);
arg_from!(Date, NaiveDate, |v| v);
arg_from!(Bytes, Vec<u8>, |v| v);

/// Builds a `Vec<Arg>` from values of mixed types: `args![org_id, "london", None::<i64>]`.
#[macro_export]
macro_rules! args {
    ($($e:expr),* $(,)?) => { vec![$($crate::db::Arg::from($e)),*] };
}

/// SQL text: static for fixed queries, owned for queries assembled from fixed fragments
/// (optional filters). User input never goes into the text, only into [`Arg`]s.
pub type Sql = Cow<'static, str>;

macro_rules! bind_args {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for a in $args {
            q = match a {
                Arg::Bool(v) => q.bind(v),
                Arg::I64(v) => q.bind(v),
                Arg::F64(v) => q.bind(v),
                Arg::Text(v) => q.bind(v),
                Arg::Date(v) => q.bind(v),
                Arg::Bytes(v) => q.bind(v),
            };
        }
        q
    }};
}

/// Rows that can be read from either backend. `#[derive(sqlx::FromRow)]` provides both.
pub trait Row: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin {}
impl<T> Row for T where T: for<'r> FromRow<'r, SqliteRow> + for<'r> FromRow<'r, PgRow> + Send + Unpin
{}

/// A single value that can be read from either backend.
pub trait Scalar:
    for<'r> sqlx::Decode<'r, Sqlite>
    + sqlx::Type<Sqlite>
    + for<'r> sqlx::Decode<'r, Postgres>
    + sqlx::Type<Postgres>
    + Send
    + Unpin
{
}
impl<T> Scalar for T where
    T: for<'r> sqlx::Decode<'r, Sqlite>
        + sqlx::Type<Sqlite>
        + for<'r> sqlx::Decode<'r, Postgres>
        + sqlx::Type<Postgres>
        + Send
        + Unpin
{
}

/// The same five operations on a pool and on a transaction, written once.
macro_rules! query_methods {
    ($this:ident, [$($recv:tt)*], $exec_sqlite:ident, $exec_pg:ident) => {
        /// Runs a statement and returns the number of rows it changed.
        pub async fn execute($($recv)*, sql: impl Into<Sql>, args: Vec<Arg>) -> DbResult<u64> {
            let sql = AssertSqlSafe(sql.into());
            let done = match $this.exec() {
                Exec::Sqlite($exec_sqlite) => {
                    bind_args!(sqlx::query::<Sqlite>(sql), args)
                        .execute($exec_sqlite)
                        .await?
                        .rows_affected()
                }
                Exec::Postgres($exec_pg) => {
                    bind_args!(sqlx::query::<Postgres>(sql), args)
                        .execute($exec_pg)
                        .await?
                        .rows_affected()
                }
            };
            Ok(done)
        }

        pub async fn fetch_all<T: Row>(
            $($recv)*,
            sql: impl Into<Sql>,
            args: Vec<Arg>,
        ) -> DbResult<Vec<T>> {
            let sql = AssertSqlSafe(sql.into());
            Ok(match $this.exec() {
                Exec::Sqlite($exec_sqlite) => {
                    bind_args!(sqlx::query_as::<Sqlite, T>(sql), args)
                        .fetch_all($exec_sqlite)
                        .await?
                }
                Exec::Postgres($exec_pg) => {
                    bind_args!(sqlx::query_as::<Postgres, T>(sql), args)
                        .fetch_all($exec_pg)
                        .await?
                }
            })
        }

        pub async fn fetch_optional<T: Row>(
            $($recv)*,
            sql: impl Into<Sql>,
            args: Vec<Arg>,
        ) -> DbResult<Option<T>> {
            let sql = AssertSqlSafe(sql.into());
            Ok(match $this.exec() {
                Exec::Sqlite($exec_sqlite) => {
                    bind_args!(sqlx::query_as::<Sqlite, T>(sql), args)
                        .fetch_optional($exec_sqlite)
                        .await?
                }
                Exec::Postgres($exec_pg) => {
                    bind_args!(sqlx::query_as::<Postgres, T>(sql), args)
                        .fetch_optional($exec_pg)
                        .await?
                }
            })
        }

        pub async fn fetch_one<T: Row>(
            $($recv)*,
            sql: impl Into<Sql>,
            args: Vec<Arg>,
        ) -> DbResult<T> {
            let sql = AssertSqlSafe(sql.into());
            Ok(match $this.exec() {
                Exec::Sqlite($exec_sqlite) => {
                    bind_args!(sqlx::query_as::<Sqlite, T>(sql), args)
                        .fetch_one($exec_sqlite)
                        .await?
                }
                Exec::Postgres($exec_pg) => {
                    bind_args!(sqlx::query_as::<Postgres, T>(sql), args)
                        .fetch_one($exec_pg)
                        .await?
                }
            })
        }

        /// The first column of the first row, or `None` when there is no row.
        pub async fn scalar<T: Scalar>(
            $($recv)*,
            sql: impl Into<Sql>,
            args: Vec<Arg>,
        ) -> DbResult<Option<T>> {
            let sql = AssertSqlSafe(sql.into());
            Ok(match $this.exec() {
                Exec::Sqlite($exec_sqlite) => {
                    bind_args!(sqlx::query_scalar::<Sqlite, T>(sql), args)
                        .fetch_optional($exec_sqlite)
                        .await?
                }
                Exec::Postgres($exec_pg) => {
                    bind_args!(sqlx::query_scalar::<Postgres, T>(sql), args)
                        .fetch_optional($exec_pg)
                        .await?
                }
            })
        }
    };
}

enum Exec<S, P> {
    Sqlite(S),
    Postgres(P),
}

/// A connection pool on one of the two backends. Cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    /// Connects to `url`: `postgres://…` for PostgreSQL; `sqlite://FILE`, `sqlite::memory:` or a
    /// plain file path for SQLite (the file is created if missing).
    pub async fn connect(url: &str) -> DbResult<Db> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url).map_err(|_| DbError::BadUrl(redact(url)))?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            return Ok(Db::Postgres(pool));
        }
        let path = url.strip_prefix("sqlite://").unwrap_or(url);
        let opts = if path.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(path).map_err(|_| DbError::BadUrl(url.into()))?
        } else {
            SqliteConnectOptions::new().filename(path)
        };
        let opts = opts
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // Writers queue behind each other rather than failing at once; requests that
            // write use BEGIN IMMEDIATE (see `begin`) so the wait happens here.
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await?;
        Ok(Db::Sqlite(pool))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies every migration not yet applied. Safe to run from several instances at once.
    pub async fn migrate(&self) -> DbResult<Vec<&'static str>> {
        migrate::run(self).await
    }

    /// Starts a transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`):
    /// a deferred transaction that later writes can fail with "database is locked" without
    /// waiting, which would lose a user's form submission under load.
    pub async fn begin(&self) -> DbResult<Tx> {
        Ok(match self {
            Db::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// A transaction for a bulk load whose every reference it writes was looked up or created
    /// in the same transaction (a large spend import): on SQLite, foreign keys are not
    /// checked row by row, which would cost a lookup per reference per row. The setting is
    /// per connection, so the connection is closed afterwards instead of going back to the
    /// pool. PostgreSQL checks as always.
    pub async fn begin_bulk(&self) -> DbResult<Tx> {
        match self {
            Db::Sqlite(p) => {
                let mut conn = p.acquire().await?;
                conn.close_on_drop();
                sqlx::query("PRAGMA foreign_keys = OFF")
                    .execute(&mut *conn)
                    .await?;
                let t = sqlx::Transaction::begin(
                    conn,
                    Some(sqlx::SqlSafeStr::into_sql_str("BEGIN IMMEDIATE")),
                )
                .await?;
                Ok(Tx::Sqlite(t))
            }
            Db::Postgres(_) => self.begin().await,
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(p) => p.close().await,
            Db::Postgres(p) => p.close().await,
        }
    }

    /// True when the database answers a trivial query (used by `/readyz`).
    pub async fn ping(&self) -> bool {
        self.scalar::<i64>("SELECT 1", vec![]).await.is_ok()
    }

    fn exec(&self) -> Exec<&SqlitePool, &PgPool> {
        match self {
            Db::Sqlite(p) => Exec::Sqlite(p),
            Db::Postgres(p) => Exec::Postgres(p),
        }
    }

    query_methods!(self, [&self], p, p);
}

/// A transaction on either backend. Dropped without `commit`, it rolls back: nothing
/// half-written stays behind.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

impl Tx {
    pub async fn commit(self) -> DbResult<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self {
            Tx::Sqlite(_) => Backend::Sqlite,
            Tx::Postgres(_) => Backend::Postgres,
        }
    }

    /// Gives a bulk load (a spend import of millions of rows) a page cache large enough to
    /// hold the indexes it writes, so SQLite does not spill and re-read them through the WAL;
    /// `false` restores the default. Per connection; nothing to do on PostgreSQL, whose shared
    /// buffers are the server's.
    pub async fn bulk_load(&mut self, on: bool) -> DbResult<()> {
        if let Tx::Sqlite(t) = self {
            let sql = if on {
                "PRAGMA cache_size = -262144"
            } else {
                "PRAGMA cache_size = -2000"
            };
            sqlx::query(sql).execute(&mut **t).await?;
        }
        Ok(())
    }

    /// The SQLite connection under this transaction, locked for
    /// [`sqlite_raw::Statement`]s; `None` on PostgreSQL.
    pub async fn lock_sqlite(&mut self) -> DbResult<Option<sqlx::sqlite::LockedSqliteHandle<'_>>> {
        match self {
            Tx::Sqlite(t) => Ok(Some(t.lock_handle().await?)),
            Tx::Postgres(_) => Ok(None),
        }
    }

    fn exec(&mut self) -> Exec<&mut sqlx::SqliteConnection, &mut sqlx::PgConnection> {
        match self {
            Tx::Sqlite(t) => Exec::Sqlite(&mut **t),
            Tx::Postgres(t) => Exec::Postgres(&mut **t),
        }
    }

    query_methods!(self, [&mut self], c, c);
}

/// Hides the password in a connection URL before it is logged or shown in an error.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &creds[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Current time as Unix seconds: every instant in the schema is stored this way, so that
/// comparisons and ordering are the same integer arithmetic on both backends.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The placeholders of a multi-row `VALUES` list, `rows` rows of `width` values, numbered
/// from 1: `($1,$2),($3,$4)` on PostgreSQL, `(?,?),(?,?)` on SQLite. Bulk writes need this:
/// SQLite finds a `$n` parameter's index by walking the list of names, so a statement with
/// thousands of `$n` parameters binds in quadratic time, while anonymous `?` parameters bind by
/// position. Use it for the whole statement: do not mix it with `$n` placeholders.
pub fn values_list(backend: Backend, rows: usize, width: usize) -> String {
    let mut s = String::with_capacity(rows * (width * 7 + 3));
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..width {
            if c > 0 {
                s.push(',');
            }
            n += 1;
            match backend {
                Backend::Sqlite => s.push('?'),
                Backend::Postgres => {
                    s.push('$');
                    s.push_str(&n.to_string());
                }
            }
        }
        s.push(')');
    }
    s
}

/// Escapes `%`, `_` and `\` so that a search box cannot turn a `LIKE` into a pattern that
/// matches everything (and scans every row). Use with `LIKE $n ESCAPE '\'`.
pub fn like_pattern(input: &str) -> String {
    let mut out = String::with_capacity(input.len() + 2);
    out.push('%');
    for c in input.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// Lets a small text-backed type (`Visibility`, `Role`…) be read straight from a column on
/// either backend, parsed once by its `FromStr`. A value the type rejects is a decode error:
/// the CHECK constraints mean it can only come from a hand-edited database.
#[macro_export]
macro_rules! text_column {
    ($t:ty) => {
        impl sqlx::Type<sqlx::Sqlite> for $t {
            fn type_info() -> <sqlx::Sqlite as sqlx::Database>::TypeInfo {
                <String as sqlx::Type<sqlx::Sqlite>>::type_info()
            }
            fn compatible(ty: &<sqlx::Sqlite as sqlx::Database>::TypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Sqlite>>::compatible(ty)
            }
        }
        impl sqlx::Type<sqlx::Postgres> for $t {
            fn type_info() -> <sqlx::Postgres as sqlx::Database>::TypeInfo {
                <String as sqlx::Type<sqlx::Postgres>>::type_info()
            }
            fn compatible(ty: &<sqlx::Postgres as sqlx::Database>::TypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }
        impl<'r> sqlx::Decode<'r, sqlx::Sqlite> for $t {
            fn decode(
                value: <sqlx::Sqlite as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let s = <&str as sqlx::Decode<'r, sqlx::Sqlite>>::decode(value)?;
                Ok(s.parse::<$t>()?)
            }
        }
        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $t {
            fn decode(
                value: <sqlx::Postgres as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let s = <&str as sqlx::Decode<'r, sqlx::Postgres>>::decode(value)?;
                Ok(s.parse::<$t>()?)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_in_urls() {
        assert_eq!(
            redact("postgres://pk:s3cret@db.local:5432/pk"),
            "postgres://pk:***@db.local:5432/pk"
        );
        assert_eq!(redact("postgres://db.local/pk"), "postgres://db.local/pk");
        assert_eq!(redact("data/procurekit.db"), "data/procurekit.db");
    }

    #[test]
    fn values_lists_per_backend() {
        assert_eq!(values_list(Backend::Postgres, 2, 2), "($1,$2),($3,$4)");
        assert_eq!(values_list(Backend::Sqlite, 2, 2), "(?,?),(?,?)");
    }

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
