//! Starting the real application on a loopback port against a fresh, real database, and
//! talking to it over HTTP the way a browser or API client would.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use procurekit::accounts::store::{self, NewUser};
use procurekit::accounts::{Email, Role};
use procurekit::config::Config;
use procurekit::db::{Backend, Db};
use procurekit::web::AppState;
use reqwest::redirect::Policy;
use tokio::sync::oneshot;

pub const PASSWORD: &str = "correct horse battery staple";

/// Runs each listed scenario twice: on SQLite, and on PostgreSQL when
/// `PROCUREKIT_TEST_POSTGRES_URL` is set (CI sets it; `PROCUREKIT_TEST_REQUIRE_POSTGRES=1` turns
/// its absence into a failure there).
#[macro_export]
macro_rules! on_both_databases {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$scenario($crate::helpers::TestApp::spawn(procurekit::db::Backend::Sqlite).await.expect("sqlite")).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::helpers::TestApp::spawn(procurekit::db::Backend::Postgres).await {
                    let url = app.database_url.clone();
                    super::$scenario(app).await;
                    $crate::helpers::drop_postgres_database(&url).await;
                }
            }
        }
    )*};
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub db: Db,
    pub database_url: String,
    _dir: tempfile::TempDir,
    shutdown: Option<oneshot::Sender<()>>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("PROCUREKIT_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("PROCUREKIT_TEST_REQUIRE_POSTGRES").is_err(),
                "PROCUREKIT_TEST_REQUIRE_POSTGRES is set but PROCUREKIT_TEST_POSTGRES_URL is not"
            );
            eprintln!("PostgreSQL not configured (PROCUREKIT_TEST_POSTGRES_URL): skipped");
            None
        }
    }
}

/// Test databases are named `pk_test_<pid>_…`; a test run drops its own as each scenario
/// passes, and the first test of a run drops those of earlier runs whose process has gone (a
/// failed or interrupted run), so the server never fills up with them.
async fn sweep_stale_databases(admin: &str) {
    static SWEPT: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    SWEPT
        .get_or_init(|| async {
            let db = Db::connect(admin)
                .await
                .expect("connect to PostgreSQL admin URL");
            let names: Vec<(String,)> = db
                .fetch_all(
                    "SELECT datname FROM pg_database WHERE datname LIKE 'pk_test_%'",
                    vec![],
                )
                .await
                .expect("list test databases");
            for (name,) in names {
                let pid = name.split('_').nth(2).unwrap_or_default();
                if pid == std::process::id().to_string()
                    || std::path::Path::new("/proc").join(pid).exists()
                {
                    continue;
                }
                let _ = db
                    .execute(
                        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                        vec![],
                    )
                    .await;
            }
            db.close().await;
        })
        .await;
}

/// Drops one test's PostgreSQL database once its scenario has passed.
pub async fn drop_postgres_database(url: &str) {
    let (Some(admin), Some((_, name))) = (postgres_admin_url(), url.rsplit_once('/')) else {
        return;
    };
    if !name.starts_with("pk_test_") {
        return;
    }
    if let Ok(db) = Db::connect(&admin).await {
        let _ = db
            .execute(
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                vec![],
            )
            .await;
        db.close().await;
    }
}

/// A fresh, empty database URL for one test.
pub async fn fresh_database(backend: Backend, dir: &std::path::Path) -> Option<String> {
    match backend {
        Backend::Sqlite => Some(dir.join("test.db").display().to_string()),
        Backend::Postgres => {
            let admin = postgres_admin_url()?;
            sweep_stale_databases(&admin).await;
            let name = format!(
                "pk_test_{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst),
                procurekit::accounts::session::random_token()[..8].to_owned()
            );
            let db = Db::connect(&admin)
                .await
                .expect("connect to PostgreSQL admin URL");
            db.execute(format!("CREATE DATABASE {name}"), vec![])
                .await
                .expect("create test database");
            db.close().await;
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_owned())
                .expect("admin URL ends with /database");
            Some(format!("{base}/{name}"))
        }
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        // Errors the server logs appear in a failing test's output.
        static LOGS: std::sync::Once = std::sync::Once::new();
        LOGS.call_once(|| {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(
                    std::env::var("PROCUREKIT_TEST_LOG").unwrap_or_else(|_| "error".into()),
                )
                .with_test_writer()
                .try_init();
        });
        let dir = tempfile::tempdir().expect("temp dir");
        let url = fresh_database(backend, dir.path()).await?;
        let (db, content) = procurekit::prepare(&url).await.expect("prepare database");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let mut config = Config::new(addr, None, false);
        // Tests run background jobs themselves, when they mean to (procurekit::jobs::tick).
        config.jobs_every = None;
        let state = AppState {
            db: db.clone(),
            config: Arc::new(config),
            content,
        };
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = procurekit::web::serve(state, listener, async {
                let _ = rx.await;
            })
            .await;
        });
        Some(TestApp {
            addr,
            db,

            database_url: url,
            _dir: dir,
            shutdown: Some(tx),
        })
    }

    /// A state over this app's database with a fresh config, for tests that run background
    /// jobs by hand (`procurekit::jobs::tick`).
    pub fn job_state(&self) -> AppState {
        AppState {
            db: self.db.clone(),
            config: Arc::new(Config::new(self.addr, None, false)),
            content: Arc::new(procurekit::guide::Content::embedded().expect("embedded guide")),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A browser-like client: keeps cookies, does not follow redirects (tests check them).
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .build()
            .expect("client")
    }

    pub async fn get(&self, client: &reqwest::Client, path: &str) -> (u16, String) {
        let r = client.get(self.url(path)).send().await.expect("GET");
        let status = r.status().as_u16();
        (status, r.text().await.unwrap_or_default())
    }

    /// The CSRF token of the forms on a page, as a browser would submit it.
    pub async fn csrf(&self, client: &reqwest::Client, path: &str) -> String {
        let (_, html) = self.get(client, path).await;
        csrf_from(&html).unwrap_or_else(|| panic!("no csrf_token on {path}"))
    }

    /// Posts a form with the page's CSRF token added.
    pub async fn post_form(
        &self,
        client: &reqwest::Client,
        form_page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.csrf(client, form_page).await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        client
            .post(self.url(action))
            .form(&all)
            .send()
            .await
            .expect("POST")
    }

    /// Creates a user in an organisation (by slug) and returns its email.
    pub async fn user(&self, org_slug: &str, role: Role) -> String {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let email = format!("{}-{n}@{org_slug}.example", role.as_str());
        let org = store::find_organisation(&self.db, org_slug)
            .await
            .expect("query")
            .unwrap_or_else(|| panic!("no organisation {org_slug}"));
        let hash = hash_once();
        store::insert_user(
            &self.db,
            &NewUser {
                org_id: org.id,
                email: &Email::parse(&email).expect("email"),
                name: &format!("Test {} {n}", role.label()),
                role,
                password_hash: Some(&hash),
            },
        )
        .await
        .expect("insert user");
        email
    }

    /// Signs in through the real form and returns the signed-in client.
    pub async fn signed_in(&self, email: &str) -> reqwest::Client {
        let client = self.client();
        let resp = self
            .post_form(
                &client,
                "/sign-in",
                "/sign-in",
                &[("email", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(
            resp.status().as_u16(),
            303,
            "sign-in of {email} should redirect"
        );
        client
    }

    /// A supplier organisation for tests (suppliers are not seeded outside the demo).
    pub async fn supplier_org(&self, slug: &str) {
        store::ensure_organisation(
            &self.db,
            &store::NewOrganisation {
                kind: procurekit::accounts::OrgKind::Supplier,
                name: "Test Supplier Ltd",
                short_name: "Test Supplier",
                slug,
                gss_code: None,
                company_number: Some("01234567"),
            },
        )
        .await
        .expect("supplier org");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Hashing is deliberately slow; tests share one hash of the test password.
pub fn hash_once() -> String {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| procurekit::accounts::password::hash_blocking(PASSWORD))
        .clone()
}

pub fn csrf_from(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf_token\" value=\"")?;
    let rest = &html[at + "name=\"csrf_token\" value=\"".len()..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// The Location of a redirect response.
pub fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// Form fields that fill every field of a template validly: what an officer might type.
pub fn valid_form(slug: &str) -> Vec<(String, String)> {
    use procurekit::guide::content::FieldKind::*;
    let c = procurekit::guide::Content::embedded().expect("content");
    let t = c.template(slug).expect("template");
    let mut form = Vec::new();
    for f in &t.fields {
        match f.kind {
            Date => {
                form.push((format!("{}-day", f.name), "12".into()));
                form.push((format!("{}-month", f.name), "3".into()));
                form.push((format!("{}-year", f.name), "2027".into()));
            }
            Authorities => {
                form.push((f.name.clone(), "E09000007".into()));
                form.push((f.name.clone(), "E09000012".into()));
            }
            Authority => form.push((f.name.clone(), "E09000022".into())),
            Money => form.push((f.name.clone(), "£1,250,000".into())),
            Number => form.push((f.name.clone(), "4".into())),
            Select => form.push((f.name.clone(), f.options[0].clone())),
            List => form.push((f.name.clone(), "First line\nSecond line".into())),
            Text | Textarea => form.push((f.name.clone(), format!("Typed {}", f.label))),
        }
    }
    form
}

/// The saved-values JSON of a validly filled template, as the save action stores it.
pub fn valid_values_json(slug: &str) -> String {
    let c = procurekit::guide::Content::embedded().expect("content");
    let t = c.template(slug).expect("template");
    let fields = procurekit::web::form::Fields(valid_form(slug));
    procurekit::guide::fill::RawValues::from_fields(t, &fields).to_json()
}
