//! The command line, run as a user would run it.

use std::io::Write;
use std::process::{Command, Stdio};

fn procurekit(db: &str, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_procurekit"))
        .arg("--database")
        .arg(db)
        .args(args)
        .env("PROCUREKIT_LOG", "error")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run procurekit");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn version_migrate_users_and_backup() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db").display().to_string();
    let (ok, out, _) = procurekit(&db, &["--version"], None);
    assert!(ok && out.starts_with("procurekit "), "{out}");

    let (ok, out, err) = procurekit(&db, &["migrate"], None);
    assert!(ok, "{err}");
    assert!(out.contains("up to date"));

    let (ok, out, err) = procurekit(
        &db,
        &[
            "user",
            "add",
            "--email",
            "Lead@Camden.example",
            "--name",
            "Lead Person",
            "--org",
            "E09000007",
            "--role",
            "commercial_lead",
            "--password-stdin",
        ],
        Some("a long enough password\n"),
    );
    assert!(ok, "{err}");
    assert!(out.contains("lead@camden.example") && out.contains("London Borough of Camden"));

    let (ok, _, err) = procurekit(
        &db,
        &[
            "user",
            "add",
            "--email",
            "x@y.example",
            "--name",
            "X",
            "--org",
            "camden",
            "--role",
            "supplier_user",
        ],
        None,
    );
    assert!(!ok);
    assert!(err.contains("cannot belong to a London authority"), "{err}");
    let (ok, _, err) = procurekit(
        &db,
        &[
            "user",
            "add",
            "--email",
            "x@y.example",
            "--name",
            "X",
            "--org",
            "Atlantis",
            "--role",
            "officer",
        ],
        None,
    );
    assert!(!ok && err.contains("no organisation matches"), "{err}");
    let (ok, _, err) = procurekit(
        &db,
        &[
            "user",
            "add",
            "--email",
            "x@y.example",
            "--name",
            "X",
            "--org",
            "camden",
            "--role",
            "king",
        ],
        None,
    );
    assert!(!ok && err.contains("unknown role"), "{err}");

    let (ok, out, _) = procurekit(
        &db,
        &[
            "user",
            "add",
            "--email",
            "gen@camden.example",
            "--name",
            "Gen",
            "--org",
            "camden",
            "--role",
            "officer",
        ],
        None,
    );
    assert!(
        ok && out.contains("Password: "),
        "a password is generated and shown once"
    );

    let (ok, _, err) = procurekit(
        &db,
        &[
            "user",
            "set-role",
            "--email",
            "lead@camden.example",
            "--role",
            "org_admin",
        ],
        None,
    );
    assert!(ok, "{err}");
    let (ok, out, _) = procurekit(&db, &["user", "list", "--org", "camden"], None);
    assert!(ok);
    assert!(out.contains("lead@camden.example") && out.contains("org_admin"));
    assert!(out.contains("gen@camden.example"));

    let backup = dir.path().join("backup.db").display().to_string();
    let (ok, out, err) = procurekit(&db, &["backup", &backup], None);
    assert!(ok, "{err}");
    assert!(out.contains("Backed up"));
    let (ok, out, _) = procurekit(&backup, &["user", "list"], None);
    assert!(
        ok && out.contains("lead@camden.example"),
        "the backup is a working database"
    );
    let (ok, _, err) = procurekit(&db, &["backup", &backup], None);
    assert!(!ok && err.contains("already exists"));
}

#[test]
fn backup_of_postgres_explains_pg_dump() {
    let (ok, out, _) = procurekit(
        "postgres://pk:secret@db.example:5432/procurekit",
        &["backup", "/tmp/x.dump"],
        None,
    );
    assert!(ok);
    assert!(out.contains("pg_dump --format=custom --file=/tmp/x.dump 'postgres://pk:***@db.example:5432/procurekit'"), "{out}");
    assert!(!out.contains("secret"), "the password is never printed");
}
