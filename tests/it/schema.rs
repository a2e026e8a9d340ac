//! The two migration folders stay in lock-step, migrations are safe to re-run, and several
//! instances on one database behave as one.

use std::collections::BTreeMap;

use procurekit::accounts::Role;
use procurekit::db::{Backend, Db};

use crate::helpers::{TestApp, fresh_database};
use crate::on_both_databases;

#[test]
fn both_migration_folders_hold_the_same_migrations() {
    let names = |dir: &str| {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let sqlite = names("migrations/sqlite");
    assert_eq!(sqlite, names("migrations/postgres"));
    let listed: Vec<String> = procurekit::db::MIGRATIONS
        .iter()
        .map(|m| format!("{}.sql", m.name))
        .collect();
    assert_eq!(
        sqlite, listed,
        "every migration file is listed in db::migrate"
    );
}

#[derive(sqlx::FromRow)]
struct Column {
    table_name: String,
    column_name: String,
}

/// Tables and their columns, ignoring what only one engine's full-text search needs.
async fn schema(db: &Db) -> BTreeMap<String, Vec<String>> {
    let cols: Vec<Column> = match db.backend() {
        Backend::Sqlite => db
            .fetch_all(
                "SELECT m.name AS table_name, p.name AS column_name
                 FROM sqlite_master m JOIN pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'search_fts%'",
                vec![],
            )
            .await
            .unwrap(),
        Backend::Postgres => db
            .fetch_all(
                "SELECT table_name::text AS table_name, column_name::text AS column_name
                 FROM information_schema.columns WHERE table_schema = 'public' AND column_name <> 'tsv'",
                vec![],
            )
            .await
            .unwrap(),
    };
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in cols {
        map.entry(c.table_name).or_default().push(c.column_name);
    }
    for v in map.values_mut() {
        v.sort();
    }
    map
}

#[tokio::test]
async fn both_backends_end_up_with_the_same_tables_and_columns() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = fresh_database(Backend::Sqlite, dir.path()).await.unwrap();
    let (sqlite, _) = procurekit::prepare(&sqlite_url).await.unwrap();
    let sqlite_schema = schema(&sqlite).await;
    assert!(sqlite_schema.contains_key("organisations"));
    let Some(pg_url) = fresh_database(Backend::Postgres, dir.path()).await else {
        return;
    };
    let (pg, _) = procurekit::prepare(&pg_url).await.unwrap();
    assert_eq!(sqlite_schema, schema(&pg).await);
}

on_both_databases!(
    preparing_twice_changes_nothing,
    two_instances_on_one_database_share_sessions
);

async fn preparing_twice_changes_nothing(app: TestApp) {
    let count = |sql: &'static str| {
        let db = app.db.clone();
        async move { db.scalar::<i64>(sql, vec![]).await.unwrap().unwrap() }
    };
    let orgs = count("SELECT COUNT(*) FROM organisations").await;
    assert_eq!(orgs, 34, "33 London authorities and the convenor");
    let (again, _) = procurekit::prepare(&app.database_url).await.unwrap();
    assert!(
        again.migrate().await.unwrap().is_empty(),
        "nothing left to apply"
    );
    assert_eq!(count("SELECT COUNT(*) FROM organisations").await, orgs);
    assert_eq!(
        count("SELECT COUNT(*) FROM schema_migrations").await,
        procurekit::db::MIGRATIONS.len() as i64
    );
}

async fn two_instances_on_one_database_share_sessions(first: TestApp) {
    let email = first.user("camden", Role::Officer).await;
    let client = first.signed_in(&email).await;
    // A second instance on the same database, as behind a load balancer.
    let (db, content) = procurekit::prepare(&first.database_url).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = procurekit::web::AppState {
        db,
        config: std::sync::Arc::new(procurekit::config::Config::new(addr, None, false)),
        content,
    };
    tokio::spawn(procurekit::web::serve(
        state,
        listener,
        std::future::pending(),
    ));
    // The session cookie is for 127.0.0.1 whatever the port, as a load balancer would present it.
    let r = client
        .get(format!("http://{addr}/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "the session made on one instance works on the other"
    );
    assert!(r.text().await.unwrap().contains(&email));
}
