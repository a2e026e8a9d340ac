//! The notification service: the outbox keeps mail while the server is down and delivers it
//! to a real SMTP server on loopback when it is back; preferences, digests, saved-search alerts.

use std::sync::{Arc, Mutex};

use procurekit::accounts::Role;
use procurekit::notify::smtp::SmtpConfig;
use procurekit::notify::{self, Message, Mode, Recipient};
use procurekit::web::AppState;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::helpers::TestApp;
use crate::on_both_databases;

on_both_databases!(
    mail_waits_while_the_server_is_down_and_is_delivered_when_it_is_back,
    a_daily_digest_bundles_updates_and_off_means_off,
    a_saved_search_alerts_its_owner_to_new_opportunities,
);

#[derive(Debug, Clone, Default)]
pub struct Received {
    pub auth: Option<String>,
    pub from: String,
    pub to: String,
    pub data: String,
}

/// A small SMTP server for tests: accepts every message and records it.
pub async fn smtp_server(listener: TcpListener) -> Arc<Mutex<Vec<Received>>> {
    let inbox = Arc::new(Mutex::new(Vec::new()));
    let store = inbox.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (r, mut w) = socket.into_split();
                let mut lines = BufReader::new(r).lines();
                let _ = w.write_all(b"220 test ESMTP\r\n").await;
                let mut msg = Received::default();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") {
                        b"250-test\r\n250 AUTH PLAIN\r\n"
                    } else if upper.starts_with("AUTH PLAIN") {
                        msg.auth = Some(line[11..].to_owned());
                        b"235 ok\r\n"
                    } else if upper.starts_with("MAIL FROM:") {
                        msg.from = line[10..].to_owned();
                        b"250 ok\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        msg.to = line[8..].to_owned();
                        b"250 ok\r\n"
                    } else if upper == "DATA" {
                        let _ = w.write_all(b"354 go on\r\n").await;
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            msg.data.push_str(&l);
                            msg.data.push('\n');
                        }
                        store.lock().unwrap().push(msg.clone());
                        b"250 queued\r\n"
                    } else if upper == "QUIT" {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"500 what\r\n"
                    };
                    let _ = w.write_all(reply).await;
                }
            });
        }
    });
    inbox
}

fn decode_base64(s: &str) -> String {
    let table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        bits = (bits << 6) | table.find(c).unwrap() as u32;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The body of a received message (after the blank line), decoded.
pub fn body_of(r: &Received) -> String {
    let (_, b64) = r.data.split_once("\n\n").unwrap();
    decode_base64(b64)
}

async fn state_with_smtp(app: &TestApp, smtp: Option<SmtpConfig>) -> AppState {
    let content = Arc::new(procurekit::guide::Content::embedded().unwrap());
    let mut config = procurekit::config::Config::new(app.addr, None, false);
    config.smtp = smtp;
    AppState {
        db: app.db.clone(),
        config: Arc::new(config),
        content,
    }
}

async fn mail_waits_while_the_server_is_down_and_is_delivered_when_it_is_back(app: TestApp) {
    // A port with nothing listening: the mail server is down.
    let probe = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let cfg = SmtpConfig::from_url(&format!(
        "smtp://mailer:secret@127.0.0.1:{port}?from=procurekit@convenor.example"
    ))
    .unwrap();
    let state = state_with_smtp(&app, Some(cfg)).await;
    let email = app.user("camden", Role::Officer).await;
    let user_id: i64 = app
        .db
        .scalar(
            "SELECT id FROM users WHERE email = $1",
            procurekit::args![&email],
        )
        .await
        .unwrap()
        .unwrap();
    notify::queue_all(
        &app.db,
        &[Message {
            to: Recipient::User(user_id),
            kind: "test",
            subject: "Hackney expressed interest in your procurement".into(),
            body: "Line one.\n.\nA line that is only a dot must survive.\nPrice: £4.10".into(),
            essential: false,
        }],
    )
    .await
    .unwrap();

    procurekit::jobs::tick(&state).await.unwrap();
    #[derive(sqlx::FromRow)]
    struct Row {
        status: String,
        attempts: i64,
        last_error: Option<String>,
    }
    let row: Row = app
        .db
        .fetch_one(
            "SELECT status, attempts, last_error FROM notifications",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        (row.status.as_str(), row.attempts),
        ("pending", 1),
        "kept, to retry"
    );
    assert!(
        row.last_error
            .unwrap()
            .contains("could not reach the mail server")
    );
    // Not retried before its back-off has passed.
    procurekit::jobs::tick(&state).await.unwrap();
    let attempts: i64 = app
        .db
        .scalar("SELECT attempts FROM notifications", vec![])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(attempts, 1);

    // The server comes back on the same port; time passes.
    let inbox = smtp_server(TcpListener::bind(("127.0.0.1", port)).await.unwrap()).await;
    app.db
        .execute("UPDATE notifications SET next_attempt_at = 0", vec![])
        .await
        .unwrap();
    procurekit::jobs::tick(&state).await.unwrap();
    let status: String = app
        .db
        .scalar("SELECT status FROM notifications", vec![])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status, "sent");
    let got = inbox.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, format!("<{email}>"));
    assert_eq!(got[0].from, "<procurekit@convenor.example>");
    assert!(
        got[0]
            .data
            .contains("Subject: Hackney expressed interest in your procurement")
    );
    assert_eq!(
        decode_base64(got[0].auth.as_deref().unwrap()),
        "\0mailer\0secret"
    );
    let body = body_of(&got[0]);
    assert!(
        body.contains("A line that is only a dot must survive.") && body.contains("\r\n.\r\n"),
        "{body:?}"
    );
    assert!(body.contains("£4.10"));

    // The outbox is readable by platform admins only.
    let admin = app
        .signed_in(&app.user("london-convenor", Role::PlatformAdmin).await)
        .await;
    let (status, html) = app.get(&admin, "/admin/outbox").await;
    assert_eq!(status, 200);
    assert!(html.contains("Hackney expressed interest in your procurement"));
    let officer = app.signed_in(&email).await;
    assert_eq!(app.get(&officer, "/admin/outbox").await.0, 403);
}

async fn a_daily_digest_bundles_updates_and_off_means_off(app: TestApp) {
    let daily = app.user("camden", Role::Officer).await;
    let off = app.user("hackney", Role::Officer).await;
    let id = |email: String| {
        let db = app.db.clone();
        async move {
            db.scalar::<i64>(
                "SELECT id FROM users WHERE email = $1",
                procurekit::args![&email],
            )
            .await
            .unwrap()
            .unwrap()
        }
    };
    let (daily_id, off_id) = (id(daily.clone()).await, id(off.clone()).await);
    // Preferences are set through the account page.
    let client = app.signed_in(&daily).await;
    let r = app
        .post_form(
            &client,
            "/account/notifications",
            "/account/notifications",
            &[("mode", "daily")],
        )
        .await;
    assert_eq!(r.status(), 303);
    notify::set_mode(&app.db, off_id, Mode::Off).await.unwrap();
    assert_eq!(notify::mode(&app.db, daily_id).await.unwrap(), Mode::Daily);
    let msg = |to: i64, subject: &str, essential: bool| Message {
        to: Recipient::User(to),
        kind: "test",
        subject: subject.into(),
        body: format!("About {subject}"),
        essential,
    };
    notify::queue_all(
        &app.db,
        &[
            msg(daily_id, "First update", false),
            msg(daily_id, "Second update", false),
            msg(off_id, "Ignored update", false),
            msg(off_id, "Verify your email address", true),
        ],
    )
    .await
    .unwrap();
    let statuses: Vec<(String, String)> = app
        .db
        .fetch_all(
            "SELECT subject, status FROM notifications ORDER BY id",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        statuses.iter().map(|(_, s)| s.as_str()).collect::<Vec<_>>(),
        ["digest", "digest", "suppressed", "pending"]
    );
    assert_eq!(notify::build_digests(&app.db).await.unwrap(), 1);
    let digest: (String, String) = app
        .db
        .fetch_one(
            "SELECT subject, body FROM notifications WHERE kind = 'digest'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(digest.0, "Your procurekit digest: 2 updates");
    assert!(digest.1.contains("First update") && digest.1.contains("Second update"));
    assert_eq!(
        notify::build_digests(&app.db).await.unwrap(),
        0,
        "each update goes in one digest only"
    );
}

async fn a_saved_search_alerts_its_owner_to_new_opportunities(app: TestApp) {
    app.supplier_org("test-supplier").await;
    let supplier_email = app.user("test-supplier", Role::SupplierUser).await;
    let supplier = app.signed_in(&supplier_email).await;
    let r = app
        .post_form(
            &supplier,
            "/opportunities",
            "/saved-searches",
            &[
                ("query", "cpv=72"),
                ("alerts", "immediate"),
                ("name", "IT in London"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let camden = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    crate::pipeline::create(
        &app,
        &camden,
        &[
            ("title", "Cyber security testing"),
            ("cpv", "72000000-5"),
            ("visibility", "public"),
        ],
    )
    .await;
    crate::pipeline::create(
        &app,
        &camden,
        &[
            ("title", "Shared with boroughs only"),
            ("cpv", "72000000-5"),
            ("visibility", "london"),
        ],
    )
    .await;
    crate::pipeline::create(
        &app,
        &camden,
        &[
            ("title", "Grounds maintenance"),
            ("cpv", "77310000-6"),
            ("visibility", "public"),
        ],
    )
    .await;
    let state = state_with_smtp(&app, None).await;
    procurekit::jobs::tick(&state).await.unwrap();
    let (subject, body): (String, String) = app
        .db
        .fetch_one(
            "SELECT subject, body FROM notifications WHERE kind = 'saved_search'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(subject, "New opportunities: IT in London");
    assert!(body.contains("Cyber security testing"));
    assert!(
        !body.contains("Shared with boroughs only"),
        "a supplier is never told of what it may not see"
    );
    assert!(!body.contains("Grounds maintenance"));
    // Nothing new: no second alert.
    app.db
        .execute("UPDATE job_runs SET last_run_at = 0", vec![])
        .await
        .unwrap();
    procurekit::jobs::tick(&state).await.unwrap();
    let n = app
        .db
        .scalar::<i64>(
            "SELECT COUNT(*) FROM notifications WHERE kind = 'saved_search'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(n, Some(1));
}
