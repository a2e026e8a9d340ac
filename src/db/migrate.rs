//! A small migration runner. Each migration exists twice, once per backend, under the same
//! name (`migrations/sqlite/NNNN_name.sql`, `migrations/postgres/NNNN_name.sql`); listing them
//! as pairs here is what keeps the two folders in lock-step, and a test compares the schemas
//! they produce.

use sqlx::AssertSqlSafe;

use super::{Db, DbError, DbResult};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sqlite: &'static str,
    pub postgres: &'static str,
}

macro_rules! migration {
    ($version:expr, $name:literal) => {
        Migration {
            version: $version,
            name: $name,
            sqlite: include_str!(concat!("../../migrations/sqlite/", $name, ".sql")),
            postgres: include_str!(concat!("../../migrations/postgres/", $name, ".sql")),
        }
    };
}

pub const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_foundation"),
    migration!(2, "0002_suppliers"),
    migration!(3, "0003_spend"),
    migration!(4, "0004_estate"),
    migration!(5, "0005_ocds"),
    migration!(6, "0006_governance"),
    migration!(7, "0007_standards"),
    migration!(8, "0008_pipeline"),
    migration!(9, "0009_notifications"),
    migration!(10, "0010_engagement"),
    migration!(11, "0011_contracts"),
    migration!(12, "0012_joint_procurements"),
    migration!(13, "0013_spend_top_suppliers"),
    migration!(14, "0014_spend_flags"),
    migration!(15, "0015_spend_uploads"),
    migration!(16, "0016_spend_payments_import_index"),
    migration!(17, "0017_spend_thresholds_2026"),
    migration!(18, "0018_spend_payments_flags_index"),
];

const CREATE_LEDGER: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at BIGINT NOT NULL
)";

/// An arbitrary constant: the key of the PostgreSQL advisory lock that makes concurrent
/// instances apply migrations one at a time.
const PG_MIGRATION_LOCK: i64 = 0x0070_726f_6375_7265;

pub(super) async fn run(db: &Db) -> DbResult<Vec<&'static str>> {
    let mut applied = Vec::new();
    match db {
        Db::Sqlite(pool) => {
            sqlx::query(CREATE_LEDGER).execute(pool).await?;
            for m in MIGRATIONS {
                // BEGIN IMMEDIATE: a second process migrating the same file waits here, then
                // sees the migration already recorded.
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let done: Option<i64> =
                    sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                        .bind(m.version)
                        .fetch_optional(&mut *tx)
                        .await?;
                if done.is_some() {
                    continue;
                }
                sqlx::raw_sql(AssertSqlSafe(m.sqlite))
                    .execute(&mut *tx)
                    .await
                    .map_err(|source| DbError::Migration {
                        version: m.version,
                        name: m.name,
                        source,
                    })?;
                record(&mut tx, m).await?;
                tx.commit().await?;
                applied.push(m.name);
            }
        }
        Db::Postgres(pool) => {
            let mut conn = pool.acquire().await?;
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(PG_MIGRATION_LOCK)
                .execute(&mut *conn)
                .await?;
            let result = async {
                sqlx::query(CREATE_LEDGER).execute(&mut *conn).await?;
                for m in MIGRATIONS {
                    let done: Option<i64> = sqlx::query_scalar(
                        "SELECT version FROM schema_migrations WHERE version = $1",
                    )
                    .bind(m.version)
                    .fetch_optional(&mut *conn)
                    .await?;
                    if done.is_some() {
                        continue;
                    }
                    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
                    sqlx::raw_sql(AssertSqlSafe(m.postgres))
                        .execute(&mut *tx)
                        .await
                        .map_err(|source| DbError::Migration {
                            version: m.version,
                            name: m.name,
                            source,
                        })?;
                    record_pg(&mut tx, m).await?;
                    tx.commit().await?;
                    applied.push(m.name);
                }
                Ok::<_, DbError>(())
            }
            .await;
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(PG_MIGRATION_LOCK)
                .execute(&mut *conn)
                .await?;
            result?;
        }
    }
    Ok(applied)
}

async fn record(tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>, m: &Migration) -> DbResult<()> {
    sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
        .bind(m.version)
        .bind(m.name)
        .bind(super::now())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn record_pg(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>, m: &Migration) -> DbResult<()> {
    sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
        .bind(m.version)
        .bind(m.name)
        .bind(super::now())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
