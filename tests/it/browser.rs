//! The pages that matter, in headless Chromium driven over WebDriver (Debian's `chromium` and
//! `chromium-driver`), with an axe-core accessibility scan (vendored from npm). Runs when
//! PROCUREKIT_TEST_BROWSER is set (CI sets it); otherwise skipped with a message.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use procurekit::accounts::Role;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};

const AXE: &str = include_str!("../browser/axe-core-4.14.1.min.js");
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn enabled() -> bool {
    match std::env::var("PROCUREKIT_TEST_BROWSER") {
        Ok(v) if !v.is_empty() && v != "0" => true,
        _ => {
            eprintln!(
                "browser tests skipped: set PROCUREKIT_TEST_BROWSER=1 (needs chromium and chromium-driver)"
            );
            false
        }
    }
}

struct Driver {
    process: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

struct Browser {
    _one_at_a_time: tokio::sync::MutexGuard<'static, ()>,
    driver: Driver,
    session: String,
    downloads: PathBuf,
    _profile: tempfile::TempDir,
    _download_dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One Chromium at a time: several at once on a two-core machine make pages slow enough to
/// turn timing into test failures.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl Browser {
    async fn start() -> Browser {
        let guard = ONE_BROWSER.lock().await;
        let port = free_port();
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let process = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {chromedriver}: {e} (install chromium-driver)")
            });
        let driver = Driver {
            process,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        for _ in 0..100 {
            if let Ok(r) = driver
                .http
                .get(format!("{}/status", driver.base))
                .send()
                .await
                && r.status().is_success()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let download_dir = tempfile::tempdir().unwrap();
        let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        // The flags keep a headless Chromium from reaching out to Google's services, which this
        // machine's closed network refuses.
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": binary,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
                    format!("--user-data-dir={}", profile.path().display())
                ],
                "prefs": {
                    "download.default_directory": download_dir.path().display().to_string(),
                    "download.prompt_for_download": false
                }
            }
        }}});
        let r: Value = driver
            .http
            .post(format!("{}/session", driver.base))
            .json(&caps)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .unwrap();
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {r}"))
            .to_owned();
        let b = Browser {
            _one_at_a_time: guard,
            downloads: download_dir.path().to_path_buf(),
            driver,
            session,
            _profile: profile,
            _download_dir: download_dir,
        };
        b.cmd(
            "POST",
            "timeouts",
            json!({"script": 60000, "pageLoad": 30000, "implicit": 10000}),
        )
        .await;
        b
    }

    async fn cmd(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}/{}", self.driver.base, self.session, path);
        let req = match method {
            "GET" => self.driver.http.get(url),
            _ => self.driver.http.post(url).json(&body),
        };
        let v: Value = req
            .send()
            .await
            .expect("webdriver")
            .json()
            .await
            .expect("json");
        if let Some(err) = v["value"]["error"].as_str() {
            panic!("webdriver {path}: {err}: {}", v["value"]["message"]);
        }
        v["value"].clone()
    }

    async fn go(&self, url: &str) {
        self.cmd("POST", "url", json!({ "url": url })).await;
    }

    async fn find(&self, css: &str) -> String {
        let url = format!("{}/session/{}/element", self.driver.base, self.session);
        let v: Value = self
            .driver
            .http
            .post(url)
            .json(&json!({"using": "css selector", "value": css}))
            .send()
            .await
            .expect("webdriver")
            .json()
            .await
            .expect("json");
        if let Some(id) = v["value"][ELEMENT].as_str() {
            return id.to_owned();
        }
        // Say where the browser was, so a failure can be understood from the log alone.
        let page = self.cmd("GET", "source", json!({})).await;
        let here = self.current_url().await;
        panic!(
            "no element {css} on {here}: {}\n{}",
            v["value"]["message"],
            page.as_str()
                .unwrap_or("")
                .chars()
                .take(3000)
                .collect::<String>()
        );
    }

    /// Waits until the address satisfies `ok` (a form submission may still be navigating
    /// when a click returns, on a loaded machine).
    async fn wait_for_url(&self, ok: impl Fn(&str) -> bool) -> String {
        let mut here = String::new();
        for _ in 0..100 {
            here = self.current_url().await;
            if ok(&here) {
                return here;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        here
    }

    async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.cmd("POST", &format!("element/{el}/clear"), json!({}))
            .await;
        self.cmd(
            "POST",
            &format!("element/{el}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.cmd("POST", &format!("element/{el}/click"), json!({}))
            .await;
    }

    async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.cmd("GET", &format!("element/{el}/text"), json!({}))
            .await
            .as_str()
            .unwrap_or("")
            .to_owned()
    }

    async fn title(&self) -> String {
        self.cmd("GET", "title", json!({}))
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn current_url(&self) -> String {
        self.cmd("GET", "url", json!({}))
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn js(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "execute/sync",
            json!({"script": script, "args": []}),
        )
        .await
    }

    /// Runs axe-core on the current page against WCAG 2.2 A and AA, returning the violations.
    async fn axe(&self) -> Vec<Value> {
        if self.js("return typeof axe === 'undefined'").await == json!(true) {
            self.js(&format!("{AXE}\n;return true;")).await;
        }
        let v = self
            .cmd(
                "POST",
                "execute/async",
                json!({"script": "const done = arguments[arguments.length - 1];
                    axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})
                       .then(r => done(JSON.stringify(r.violations)))
                       .catch(e => done(JSON.stringify([{id: 'axe-error', help: String(e)}])));", "args": []}),
            )
            .await;
        serde_json::from_str(v.as_str().unwrap()).unwrap()
    }

    async fn wait_for_download(&self, suffix: &str) -> PathBuf {
        for _ in 0..100 {
            if let Some(p) = files_in(&self.downloads)
                .into_iter()
                .find(|p| p.to_string_lossy().ends_with(suffix))
            {
                return p;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "no {suffix} download in {:?}: {:?}",
            self.downloads,
            files_in(&self.downloads)
        );
    }

    async fn quit(self) {
        let _ = self
            .driver
            .http
            .delete(format!("{}/session/{}", self.driver.base, self.session))
            .send()
            .await;
    }
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default()
}

fn describe(violations: &[Value]) -> String {
    violations
        .iter()
        .map(|v| {
            let nodes: Vec<String> = v["nodes"]
                .as_array()
                .map(|n| n.iter().take(3).map(|x| x["target"].to_string()).collect())
                .unwrap_or_default();
            format!("{}: {} {:?}", v["id"], v["help"], nodes)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_signs_in_reads_searches_fills_a_template_and_comments() {
    if !enabled() {
        return;
    }
    let app = TestApp::spawn(procurekit::db::Backend::Sqlite)
        .await
        .unwrap();
    let email = app.user("camden", Role::Officer).await;
    let b = Browser::start().await;

    // Sign in.
    b.go(&app.url("/sign-in")).await;
    b.type_into("#email", &email).await;
    b.type_into("#password", PASSWORD).await;
    b.click("form[action='/sign-in'] button").await;
    b.wait_for_url(|u| !u.contains("/sign-in")).await;
    assert!(
        b.text(".pk-header__who")
            .await
            .contains("London Borough of Camden")
    );

    // Read a stage.
    b.go(&app.url("/guide")).await;
    b.submit_and_wait(
        "a[href='/guide/sections/strategy']",
        "/guide/sections/strategy",
    )
    .await;
    assert_eq!(b.text("h1").await, "Strategy");
    b.submit_and_wait(
        "a[href='/guide/statement-of-user-needs']",
        "/guide/statement-of-user-needs",
    )
    .await;
    assert!(b.title().await.contains("user needs"));

    // Search, and follow a result.
    b.go(&app.url("/search")).await;
    b.type_into("#q", "joint procurement").await;
    b.submit_and_wait("form[role='search'] button", "q=joint")
        .await;
    assert!(
        b.text("#results")
            .await
            .contains("Consider joint procurement")
    );
    let marks = b
        .js("return document.querySelectorAll('#results mark').length")
        .await;
    assert!(marks.as_u64().unwrap() > 0, "matches are highlighted");

    // Fill a template with a mistake, see the error summary, fix it, download .docx.
    b.go(&app.url("/templates/statement-of-user-needs")).await;
    b.click("button[value='docx']").await;
    assert!(
        b.text(".govuk-error-summary")
            .await
            .contains("There is a problem")
    );
    let axe = b.axe().await;
    assert!(
        axe.is_empty(),
        "template form with errors:\n{}",
        describe(&axe)
    );
    for (name, value) in crate::helpers::valid_form("statement-of-user-needs") {
        let kind = b
            .js(&format!("const e = document.querySelector('[name=\"{name}\"]'); return e ? e.tagName + ':' + (e.type || '') : ''"))
            .await;
        match kind.as_str().unwrap_or("") {
            "SELECT:select-one" => {
                b.js(&format!(
                    "document.querySelector('select[name=\"{name}\"]').value = {};",
                    json!(value)
                ))
                .await;
            }
            "INPUT:checkbox" => {
                b.js(&format!("document.querySelector('input[name=\"{name}\"][value=\"{value}\"]').checked = true;")).await;
            }
            "" => {}
            _ => b.type_into(&format!("[name='{name}']"), &value).await,
        }
    }
    b.click("button[value='docx']").await;
    let file = b.wait_for_download(".docx").await;
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(&bytes[..2], b"PK", "a zip (.docx) file");

    // Leave a comment.
    b.go(&app.url("/guide/consider-joint-procurement")).await;
    b.type_into("#comment", "Written in the browser test").await;
    b.click("form[action='/comments'] button").await;
    assert!(
        b.wait_for_url(|u| u.contains("done=comment"))
            .await
            .contains("done=comment")
    );
    let stored = app
        .db
        .scalar::<String>("SELECT body FROM guide_comments", vec![])
        .await
        .unwrap();
    assert_eq!(stored.as_deref(), Some("Written in the browser test"));
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_main_pages_have_no_accessibility_violations() {
    if !enabled() {
        return;
    }
    let app = TestApp::spawn(procurekit::db::Backend::Sqlite)
        .await
        .unwrap();
    let admin = app.user("london-convenor", Role::PlatformAdmin).await;
    let engagement = open_engagement(&app).await;
    let b = Browser::start().await;
    // A control: the scan does find a violation where there is one.
    b.go("data:text/html,<html><body><img src='x.png'><input></body></html>")
        .await;
    assert!(
        !b.axe().await.is_empty(),
        "axe reports an image without alt text"
    );
    let public = [
        "/",
        "/guide",
        "/guide/sections/execution",
        "/guide/competitive-flexible-procedure",
        "/templates",
        "/templates/collaboration-agreement",
        "/problems",
        "/problems/p01",
        "/problems/coverage",
        "/search?q=data",
        "/sign-in",
        "/about",
        "/no-such-page",
        "/opportunities",
        "/opportunities?band=huge",
        "/pipeline",
        "/estate",
        "/estate/ending",
        "/estate/concentration",
        "/estate/products",
        "/standards",
        "/standards/checker",
        "/standards/compare",
        "/standards/products",
        "/standards/tender",
        "/joint",
        "/market",
        "/suppliers/register",
        "/engagements",
        "/notices",
    ];
    let engagement_pages = [
        format!("/engagements/{engagement}"),
        format!("/engagements/{engagement}/notice"),
    ];
    let mut failures = String::new();
    for path in public
        .iter()
        .copied()
        .chain(engagement_pages.iter().map(String::as_str))
    {
        b.go(&app.url(path)).await;
        let v = b.axe().await;
        if !v.is_empty() {
            failures.push_str(&format!("\n{path}:\n{}", describe(&v)));
        }
    }
    b.go(&app.url("/sign-in")).await;
    b.type_into("#email", &admin).await;
    b.type_into("#password", PASSWORD).await;
    b.click("form[action='/sign-in'] button").await;
    b.wait_for_url(|u| !u.contains("/sign-in")).await;
    // A procurement of the signed-in user's own organisation, to scan the owner's page with
    // its checklist forms, and a form with errors.
    let client = app.signed_in(&admin).await;
    let id = crate::pipeline::create(
        &app,
        &client,
        &[
            ("title", "Accessible procurement"),
            ("visibility", "london"),
        ],
    )
    .await;
    let r = app
        .post_form(
            &client,
            "/procurements/new",
            "/procurements/new",
            &[("title", ""), ("cpv", "x")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let procurement = format!("/procurements/{id}");
    for path in [
        "/account",
        "/documents",
        "/admin",
        "/admin/users",
        "/admin/audit",
        "/admin/comments",
        "/admin/outbox",
        "/account/notifications",
        "/procurements/new",
        "/procurements",
        "/collaborations",
        "/saved-searches",
        "/estate/systems/new",
        "/estate/import",
        "/market",
        "/suppliers",
        "/pitches",
        "/engagements/new",
        procurement.as_str(),
    ] {
        b.go(&app.url(path)).await;
        let v = b.axe().await;
        if !v.is_empty() {
            failures.push_str(&format!("\n{path}:\n{}", describe(&v)));
        }
    }
    // Governance profiles and the planner, with the example profiles seeded.
    procurekit::joint::store::seed_examples(&app.db)
        .await
        .unwrap();
    let hackney: i64 = app
        .db
        .scalar(
            "SELECT id FROM organisations WHERE slug = 'hackney'",
            vec![],
        )
        .await
        .unwrap()
        .unwrap();
    let form = format!("/procurements/{id}/joint");
    let hackney = hackney.to_string();
    let r = app
        .post_form(
            &client,
            &form,
            &form,
            &[
                ("lead_share", "1m"),
                ("partner-1", &hackney),
                ("share-1", "1m"),
                ("start-day", "4"),
                ("start-month", "1"),
                ("start-year", "2027"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let workspace = crate::helpers::location(&r);
    for path in [
        "/joint",
        "/joint/governance/camden",
        "/joint/planner?start=2027-01-04",
        "/joint/procurements",
        workspace.as_str(),
    ] {
        b.go(&app.url(path)).await;
        let v = b.axe().await;
        if !v.is_empty() {
            failures.push_str(&format!("\n{path}:\n{}", describe(&v)));
        }
    }
    // The spend pages with real data: one London borough's published file.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_procurekit"))
        .args(["--database", &app.database_url, "import", "spend"])
        .arg("tests/fixtures/spend/lambeth_2012-06_invoices_over_500.csv")
        .env("PROCUREKIT_LOG", "error")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let supplier: i64 = app
        .db
        .scalar(
            "SELECT MIN(supplier_id) FROM spend_payments WHERE supplier_id IS NOT NULL",
            vec![],
        )
        .await
        .unwrap()
        .unwrap();
    for path in [
        "/spend".to_owned(),
        "/spend/bodies/lambeth".to_owned(),
        "/spend/categories".to_owned(),
        "/spend/uncategorised".to_owned(),
        "/spend/flags".to_owned(),
        "/spend/flags?body=lambeth".to_owned(),
        format!("/spend/suppliers/{supplier}"),
    ] {
        b.go(&app.url(&path)).await;
        let v = b.axe().await;
        if !v.is_empty() {
            failures.push_str(&format!("\n{path}:\n{}", describe(&v)));
        }
    }
    // Comparing bodies: a second body's spend, then the chooser, a comparison and an error.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_procurekit"))
        .args(["--database", &app.database_url, "import", "spend"])
        .arg("tests/fixtures/spend/calderdale_2022-08_card.csv")
        .env("PROCUREKIT_LOG", "error")
        .output()
        .unwrap();
    assert!(out.status.success());
    let calderdale: String = app
        .db
        .scalar(
            "SELECT slug FROM organisations WHERE name LIKE '%Calderdale%'",
            vec![],
        )
        .await
        .unwrap()
        .unwrap();
    // Uploading spend, signed in as a Lambeth officer: the form, a preview, and a preview
    // whose file cannot be imported (another body's).
    let officer = app.user("lambeth", Role::Officer).await;
    let client = app.signed_in(&officer).await;
    let mut previews = Vec::new();
    for file in [
        "lambeth_2012-06_invoices_over_500.csv",
        "calderdale_2022-08_card.csv",
    ] {
        let token = app.csrf(&client, "/spend/upload").await;
        let bytes = std::fs::read(format!("tests/fixtures/spend/{file}")).unwrap();
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", token)
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(file.to_owned()),
            );
        let r = client
            .post(app.url("/spend/upload"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303, "{file} uploaded");
        previews.push(crate::helpers::location(&r));
    }
    b.sign_out(&app).await;
    b.sign_in_as(&app, &officer).await;
    for path in [
        "/spend/upload".to_owned(),
        previews[0].clone(),
        previews[1].clone(),
        "/spend/compare".to_owned(),
        format!("/spend/compare?body=lambeth&body={calderdale}"),
        "/spend/compare?body=lambeth".to_owned(),
    ] {
        b.go(&app.url(&path)).await;
        let v = b.axe().await;
        if !v.is_empty() {
            failures.push_str(&format!("\n{path}:\n{}", describe(&v)));
        }
    }
    b.quit().await;
    assert!(failures.is_empty(), "axe-core violations:{failures}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contract_pages_have_no_accessibility_violations() {
    if !enabled() {
        return;
    }
    let app = TestApp::spawn(procurekit::db::Backend::Sqlite)
        .await
        .unwrap();
    // The demo's contracts: KPIs (one off target), a review with a rating, an overdue action.
    procurekit::seed::demo(&app.db).await.unwrap();
    let id = |sql: &'static str| {
        let db = app.db.clone();
        async move { db.scalar::<i64>(sql, vec![]).await.unwrap().unwrap() }
    };
    let cid = id("SELECT c.id FROM contracts c JOIN organisations o ON o.id = c.org_id WHERE o.slug = 'camden'").await;
    let kid = id("SELECT MIN(k.id) FROM contract_kpis k JOIN contracts c ON c.id = k.contract_id JOIN organisations o ON o.id = c.org_id WHERE o.slug = 'camden'").await;
    let rid = id("SELECT r.id FROM contract_reviews r JOIN contracts c ON c.id = r.contract_id JOIN organisations o ON o.id = c.org_id WHERE o.slug = 'camden'").await;
    let sid = id("SELECT supplier_id FROM contracts LIMIT 1").await;
    let b = Browser::start().await;
    b.go(&app.url("/sign-in")).await;
    b.type_into("#email", "officer@camden.example").await;
    b.type_into("#password", procurekit::seed::DEMO_PASSWORD)
        .await;
    b.click("form[action='/sign-in'] button").await;
    b.wait_for_url(|u| !u.contains("/sign-in")).await;

    // A draft performance assessment, made through the page, for the notice page.
    b.go(&app.url(&format!("/contracts/{cid}/performance")))
        .await;
    b.click("form[action$='/performance'] button[type='submit']")
        .await;
    let notice = b.wait_for_url(|u| u.contains("/performance/")).await;
    assert!(
        notice.contains("/performance/"),
        "assessment drafted: {notice}"
    );

    let mut failures = String::new();
    for path in [
        "/contracts".to_owned(),
        "/contracts?within=0".to_owned(),
        "/contracts/new".to_owned(),
        "/contracts/shared".to_owned(),
        "/contracts/suppliers".to_owned(),
        format!("/contracts/suppliers/{sid}"),
        format!("/contracts/{cid}"),
        format!("/contracts/{cid}/edit"),
        format!("/contracts/{cid}/kpis/{kid}"),
        format!("/contracts/{cid}/kpis/new"),
        format!("/contracts/{cid}/reviews/{rid}"),
        format!("/contracts/{cid}/reviews/new"),
        format!("/contracts/{cid}/actions/new?kind=improvement"),
        format!("/contracts/{cid}/risks/new"),
        format!("/contracts/{cid}/extensions/new"),
        format!("/contracts/{cid}/documents/new"),
        format!("/contracts/{cid}/performance"),
        notice.trim_start_matches(&app.url("")).to_owned(),
    ] {
        b.go(&app.url(&path)).await;
        let v = b.axe().await;
        if !v.is_empty() {
            failures.push_str(&format!("\n{path}:\n{}", describe(&v)));
        }
    }
    // Forms sent empty come back with their errors: those pages are scanned too.
    for (page, button) in [
        (
            "/contracts/new".to_owned(),
            "main form button[type='submit']",
        ),
        (
            format!("/contracts/{cid}/kpis/new"),
            "main form button[type='submit']",
        ),
        (
            format!("/contracts/{cid}/kpis/{kid}"),
            "form[action$='/measurements'] button[type='submit']",
        ),
        (
            format!("/contracts/{cid}/documents/new"),
            "main form button[type='submit']",
        ),
    ] {
        b.go(&app.url(&page)).await;
        b.click(button).await;
        assert!(
            b.text(".govuk-error-summary")
                .await
                .contains("There is a problem"),
            "{page}: errors shown"
        );
        let v = b.axe().await;
        if !v.is_empty() {
            failures.push_str(&format!("\n{page} (with errors):\n{}", describe(&v)));
        }
    }
    // Another borough reads Camden's shared contract; the supplier reads its own ratings.
    for (email, pages, heading) in [
        (
            "officer@hackney.example",
            vec![format!("/contracts/{cid}"), "/contracts/shared".to_owned()],
            "Contracts shared by London authorities",
        ),
        (
            "bids@thamesgate.example",
            vec![
                format!("/contracts/suppliers/{sid}"),
                "/contracts/insight".to_owned(),
            ],
            "What London authorities say about you",
        ),
    ] {
        b.click("form[action='/sign-out'] button").await;
        b.wait_for_url(|u| !u.contains("/contracts") && !u.contains("/sign-out"))
            .await;
        b.go(&app.url("/sign-in")).await;
        b.type_into("#email", email).await;
        b.type_into("#password", procurekit::seed::DEMO_PASSWORD)
            .await;
        b.click("form[action='/sign-in'] button").await;
        b.wait_for_url(|u| !u.contains("/sign-in")).await;
        for path in &pages {
            b.go(&app.url(path)).await;
            let v = b.axe().await;
            if !v.is_empty() {
                failures.push_str(&format!("\n{path} ({email}):\n{}", describe(&v)));
            }
        }
        assert_eq!(b.text("h1").await, heading, "{email} signed in");
    }
    b.quit().await;
    assert!(failures.is_empty(), "axe-core violations:{failures}");
}

/// An open market engagement with a question, run by Camden, for the pages to show.
async fn open_engagement(app: &TestApp) -> i64 {
    use procurekit::engagement::events::{self, EngagementInput};
    use procurekit::engagement::{Category, EngagementKind, EventFormat};
    let email = app.user("camden", Role::Officer).await;
    let user = procurekit::accounts::store::user_by_email(&app.db, &email)
        .await
        .unwrap()
        .unwrap();
    let today = chrono::Utc::now().date_naive();
    let id = events::create(
        &app.db,
        &user,
        &EngagementInput {
            title: "Repairs reporting: supplier day".into(),
            description: "What can the market do for tenants reporting repairs?".into(),
            kind: EngagementKind::SupplierDay,
            format: EventFormat::Hybrid,
            location: "5 Pancras Square, London N1C 4AG".into(),
            joining_details: "https://meet.example/repairs".into(),
            event_date: Some(today + chrono::Duration::days(20)),
            event_start: Some("10:00".into()),
            event_end: Some("12:00".into()),
            closes_on: today + chrono::Duration::days(14),
            capacity: Some(30),
            procurement_id: None,
            category: Category::parse("722").unwrap(),
        },
    )
    .await
    .unwrap();
    events::add_question(&app.db, id, "How do tenants report a repair at night?", "")
        .await
        .unwrap();
    let e = events::get(&app.db, &user.viewer(), id)
        .await
        .unwrap()
        .unwrap();
    events::open(&app.db, &e, "http://localhost").await.unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supplier_registers_pitches_and_two_boroughs_triage_it_in_the_browser() {
    if !enabled() {
        return;
    }
    let app = TestApp::spawn(procurekit::db::Backend::Sqlite)
        .await
        .unwrap();
    for (slug, cat) in [("camden", "72"), ("hackney", "722")] {
        let admin = app.signed_in(&app.user(slug, Role::OrgAdmin).await).await;
        let r = app
            .post_form(
                &admin,
                "/market/settings",
                "/market/settings",
                &[("categories", cat), ("target_days", "15")],
            )
            .await;
        assert_eq!(r.status(), 303);
    }
    let camden = app.user("camden", Role::Officer).await;
    let hackney = app.user("hackney", Role::Officer).await;
    let b = Browser::start().await;

    // Register, with a mistake first.
    b.go(&app.url("/suppliers/register")).await;
    b.click("form[action='/suppliers/register'] button").await;
    assert!(
        b.text(".govuk-error-summary")
            .await
            .contains("Enter your organisation")
    );
    b.scan("registration form with errors").await;
    b.type_into("#name", "Browser Repairs Ltd").await;
    b.type_into("#company_number", "06543210").await;
    b.click("#categories-72").await;
    b.type_into("#contact_name", "Robin Shaw").await;
    b.type_into("#email", "robin@browser-repairs.example").await;
    b.type_into("#password", PASSWORD).await;
    b.type_into("#confirm_password", PASSWORD).await;
    b.click("form[action='/suppliers/register'] button").await;
    assert_eq!(b.text(".govuk-panel__title").await, "Check your email");
    let body: String = app
        .db
        .scalar(
            "SELECT body FROM notifications WHERE kind = 'supplier_email_verification'",
            vec![],
        )
        .await
        .unwrap()
        .unwrap();
    let at = body.find("/suppliers/verify/").unwrap();
    let link = body[at..].split_whitespace().next().unwrap().to_owned();
    b.go(&app.url(&link)).await;
    b.submit_and_wait(
        "form[action^='/suppliers/verify'] button",
        "/market/profile",
    )
    .await;
    b.scan("supplier profile").await;

    // Pitch.
    b.go(&app.url("/pitches/new")).await;
    b.scan("pitch form").await;
    b.type_into("#title", "Night-time repairs reporting").await;
    b.type_into(
        "#problem",
        "Tenants cannot report repairs at night, so damage spreads.",
    )
    .await;
    b.type_into("#audience", "Tenants and the repairs team")
        .await;
    b.type_into(
        "#product",
        "A web app that takes reports with photos at any hour",
    )
    .await;
    b.type_into(
        "#evidence",
        "Two housing associations, one year, fewer repeat visits",
    )
    .await;
    b.click("#pricing_model-subscription").await;
    b.type_into(
        "#data_api",
        "Open REST API for every function, no extra charge",
    )
    .await;
    b.submit_and_wait(
        "form[action='/pitches/new'] button[type='submit']",
        "done=submitted",
    )
    .await;
    assert!(
        b.text(".govuk-notification-banner")
            .await
            .contains("reached 2 boroughs")
    );
    let pitch_url = b.current_url().await;
    let pitch_path = pitch_url[pitch_url.find("/pitches/").unwrap()..]
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    b.scan("the supplier's pitch page").await;
    b.sign_out(&app).await;

    // Camden shortlists it, with a private note.
    b.sign_in_as(&app, &camden).await;
    b.go(&app.url(&pitch_path)).await;
    b.scan("a borough's pitch page").await;
    b.click("#status-shortlisted").await;
    b.type_into("#reason", "Fits our repairs programme").await;
    b.submit_and_wait("form[action$='/triage'] button", "done=triage")
        .await;
    assert!(
        b.text(".govuk-notification-banner")
            .await
            .contains("Triage saved")
    );
    b.type_into("#note", "Camden private: check their hosting")
        .await;
    b.submit_and_wait("form[action$='/notes'] button", "done=note")
        .await;
    b.sign_out(&app).await;

    // Hackney declines it and cannot read Camden's note.
    b.sign_in_as(&app, &hackney).await;
    b.go(&app.url(&pitch_path)).await;
    b.click("#status-declined").await;
    b.type_into("#reason", "Not this year").await;
    b.submit_and_wait("form[action$='/triage'] button", "done=triage")
        .await;
    let page = b.text("main").await;
    assert!(!page.contains("Camden private"));
    b.sign_out(&app).await;

    // The supplier sees both.
    b.sign_in_as(&app, "robin@browser-repairs.example").await;
    b.go(&app.url(&pitch_path)).await;
    let page = b.text("main").await;
    assert!(page.contains("Fits our repairs programme") && page.contains("Not this year"));
    assert!(!page.contains("Camden private"));
    b.quit().await;
}

impl Browser {
    async fn sign_in_as(&self, app: &TestApp, email: &str) {
        self.go(&app.url("/sign-in")).await;
        self.type_into("#email", email).await;
        self.type_into("#password", PASSWORD).await;
        self.click("form[action='/sign-in'] button").await;
        self.find(".pk-header__who").await;
    }

    /// Signs out from a settled page, and waits until the header says so.
    async fn sign_out(&self, app: &TestApp) {
        self.go(&app.url("/about")).await;
        self.click("form[action='/sign-out'] button").await;
        self.find(".pk-header__account a[href='/sign-in']").await;
    }

    /// Clicks a submit button and waits until the browser has arrived at a page whose address
    /// contains `fragment`: a page is only read, or left, once its form has been answered.
    async fn submit_and_wait(&self, css: &str, fragment: &str) {
        self.click(css).await;
        for _ in 0..200 {
            if self.current_url().await.contains(fragment)
                && self.js("return document.readyState").await == json!("complete")
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("never reached {fragment}: at {}", self.current_url().await);
    }

    async fn scan(&self, what: &str) {
        let v = self.axe().await;
        assert!(v.is_empty(), "{what}:\n{}", describe(&v));
    }
}
