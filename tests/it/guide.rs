//! The guide: every page renders, search ranks and highlights, templates become real .docx
//! and Markdown files, comments arrive, coverage is computed.

use std::io::Read;

use procurekit::accounts::Role;
use procurekit::guide::Content;

use crate::helpers::{TestApp, location};
use crate::on_both_databases;

on_both_databases!(
    every_guide_page_template_and_problem_renders,
    search_ranks_titles_first_and_highlights_matches,
    search_survives_any_input,
    a_filled_template_downloads_as_a_real_word_document,
    a_template_form_with_mistakes_explains_each_one_and_keeps_what_was_typed,
    a_comment_reaches_the_platform_admins,
    bad_comments_are_refused_with_reasons,
);

#[test]
fn content_has_the_promised_shape() {
    let c = Content::embedded().expect("content loads and passes its checks");
    assert!(c.pages.len() >= 35, "{} guide pages", c.pages.len());
    assert!(c.templates.len() >= 8);
    assert_eq!(c.problems.len(), 25);
    for s in procurekit::guide::content::Section::ALL {
        assert!(c.pages_in(s).count() >= 2, "section {s} has pages");
    }
    for p in &c.pages {
        let words = p.plain_text.split_whitespace().count();
        assert!(words >= 400, "{} has only {words} words", p.slug);
    }
    // Every problem is answered by some guidance, and most guide pages answer some problem.
    assert!(c.problems.iter().all(|p| !p.guide.is_empty()));
    for t in [
        "continuous-improvement-clauses",
        "data-access-api-requirements",
        "statement-of-user-needs",
        "market-engagement-questionnaire",
        "collaboration-agreement",
        "innovative-procedure-outline",
        "contract-management-plan",
        "evaluation-criteria",
    ] {
        assert!(c.template(t).is_some(), "template {t}");
    }
}

async fn every_guide_page_template_and_problem_renders(app: TestApp) {
    let c = Content::embedded().unwrap();
    let client = app.client();
    let mut paths: Vec<String> = vec![
        "/".into(),
        "/guide".into(),
        "/templates".into(),
        "/problems".into(),
        "/problems/coverage".into(),
        "/about".into(),
        "/search".into(),
    ];
    paths.extend(
        procurekit::guide::content::Section::ALL
            .iter()
            .map(|s| format!("/guide/sections/{}", s.slug())),
    );
    paths.extend(c.pages.iter().map(|p| format!("/guide/{}", p.slug)));
    paths.extend(c.templates.iter().map(|t| format!("/templates/{}", t.slug)));
    paths.extend(c.problems.iter().map(|p| format!("/problems/{}", p.id)));
    for path in &paths {
        let (status, html) = app.get(&client, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains("<h1"), "{path} has a heading");
    }
    let page = &c.pages[0];
    let (_, html) = app.get(&client, &format!("/guide/{}", page.slug)).await;
    for heading in procurekit::guide::content::PAGE_HEADINGS {
        assert!(html.contains(heading), "{heading}");
    }
    assert!(html.contains("Who does what (RACI)"));
    assert!(html.contains("pk-callout"));
    assert!(html.contains("Leave a comment"));
    assert_eq!(app.get(&client, "/guide/no-such-page").await.0, 404);
}

async fn search_ranks_titles_first_and_highlights_matches(app: TestApp) {
    let client = app.client();
    let r: Vec<serde_json::Value> = client
        .get(app.url("/api/v1/search?q=joint%20procurement"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!r.is_empty());
    let top: Vec<&str> = r
        .iter()
        .take(3)
        .map(|h| h["slug"].as_str().unwrap())
        .collect();
    assert!(top.contains(&"consider-joint-procurement"), "{top:?}");
    assert!(r[0]["snippet_html"].as_str().unwrap().contains("<mark>"));

    // Prefix matching on the last word, as people type.
    let r: Vec<serde_json::Value> = client
        .get(app.url("/api/v1/search?q=interoperab"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!r.is_empty(), "prefix search");

    let (status, html) = app.get(&client, "/search?q=data+access").await;
    assert_eq!(status, 200);
    assert!(html.contains("<mark>"));
    assert!(
        html.contains("/templates/data-access-api-requirements")
            || html.contains("/guide/data-and-api-requirements")
    );
    let (_, html) = app.get(&client, "/search?q=zzzqqqxxx").await;
    assert!(html.contains("No results for"));
}

async fn search_survives_any_input(app: TestApp) {
    let client = app.client();
    for q in [
        "\"",
        "NEAR(a b",
        "a AND OR NOT",
        "*",
        "<script>alert(1)</script>",
        "'; DROP TABLE users; --",
        "ü€😀",
        "&|!:*",
    ] {
        let r = client
            .get(app.url("/search"))
            .query(&[("q", q)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{q}");
        let html = r.text().await.unwrap();
        assert!(!html.contains("<script>alert"), "{q} is escaped");
        let r = client
            .get(app.url("/api/v1/search"))
            .query(&[("q", q)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{q}");
    }
}

fn docx_text(bytes: &[u8]) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip file");
    for part in [
        "[Content_Types].xml",
        "_rels/.rels",
        "word/styles.xml",
        "word/numbering.xml",
        "docProps/core.xml",
    ] {
        let mut xml = String::new();
        zip.by_name(part)
            .unwrap_or_else(|_| panic!("{part}"))
            .read_to_string(&mut xml)
            .unwrap();
        roxmltree::Document::parse(&xml)
            .unwrap_or_else(|e| panic!("{part} is well-formed XML: {e}"));
    }
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("document.xml is well-formed");
    let w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
    assert_eq!(doc.root_element().tag_name().namespace(), Some(w));
    doc.descendants()
        .filter(|n| n.has_tag_name((w, "t")))
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join("")
}

async fn a_filled_template_downloads_as_a_real_word_document(app: TestApp) {
    let client = app.client();
    let token = app
        .csrf(&client, "/templates/collaboration-agreement")
        .await;
    let mut form: Vec<(String, String)> = vec![("csrf_token".into(), token)];
    form.extend(crate::helpers::valid_form("collaboration-agreement"));
    let mut docx_form = form.clone();
    docx_form.push(("action".into(), "docx".into()));
    let r = client
        .post(app.url("/templates/collaboration-agreement"))
        .form(&docx_form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"collaboration-agreement-")
            && disposition.ends_with(".docx\"")
    );
    let text = docx_text(&r.bytes().await.unwrap());
    assert!(
        text.contains("London Borough of Camden"),
        "partners are filled in"
    );
    assert!(text.contains("London Borough of Hackney"));
    assert!(
        !text.contains("{{") && !text.contains("{%"),
        "no template syntax left"
    );

    let mut md_form = form.clone();
    md_form.push(("action".into(), "md".into()));
    let r = client
        .post(app.url("/templates/collaboration-agreement"))
        .form(&md_form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/markdown; charset=utf-8");
    let md = r.text().await.unwrap();
    assert!(md.starts_with('#') && md.contains("London Borough of Hackney"));

    let mut preview = form;
    preview.push(("action".into(), "preview".into()));
    let r = client
        .post(app.url("/templates/collaboration-agreement"))
        .form(&preview)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("id=\"preview\""));
}

async fn a_template_form_with_mistakes_explains_each_one_and_keeps_what_was_typed(app: TestApp) {
    let client = app.client();
    let c = Content::embedded().unwrap();
    let t = c.template("statement-of-user-needs").unwrap();
    let token = app
        .csrf(&client, "/templates/statement-of-user-needs")
        .await;
    let required = t.fields.iter().filter(|f| f.required).count();
    assert!(required > 0);
    let r = client
        .post(app.url("/templates/statement-of-user-needs"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("action", "docx"),
            ("service", "Typed service name"),
            ("authority", "E99999999"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("There is a problem"));
    assert!(html.contains("<title>Error: "));
    assert!(html.matches("govuk-error-message").count() >= required.min(2));
    if t.fields.iter().any(|f| f.name == "service") {
        assert!(html.contains("Typed service name"), "typed values are kept");
    }
    let forged = client
        .post(app.url("/templates/statement-of-user-needs"))
        .form(&[("csrf_token", "nope"), ("action", "docx")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
}

async fn a_comment_reaches_the_platform_admins(app: TestApp) {
    let visitor = app.client();
    let r = app
        .post_form(
            &visitor,
            "/guide/consider-joint-procurement",
            "/comments",
            &[
                ("kind", "guide"),
                ("slug", "consider-joint-procurement"),
                ("name", "Visiting officer"),
                (
                    "comment",
                    "Please add an example of a shared evaluation panel.",
                ),
                ("website", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        location(&r),
        "/guide/consider-joint-procurement?done=comment#comment"
    );
    let (_, html) = app
        .get(&visitor, "/guide/consider-joint-procurement?done=comment")
        .await;
    assert!(html.contains("Thank you"));

    let officer = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    app.post_form(
        &officer,
        "/templates/evaluation-criteria",
        "/comments",
        &[
            ("kind", "template"),
            ("slug", "evaluation-criteria"),
            ("comment", "Weightings example is useful <b>thanks</b>"),
        ],
    )
    .await;

    let admin = app
        .signed_in(&app.user("london-convenor", Role::PlatformAdmin).await)
        .await;
    let (status, html) = app.get(&admin, "/admin/comments").await;
    assert_eq!(status, 200);
    assert!(html.contains("Please add an example of a shared evaluation panel."));
    assert!(html.contains("Visiting officer"));
    assert!(
        html.contains("Weightings example is useful &#60;b&#62;thanks&#60;/b&#62;")
            || html.contains("Weightings example is useful &lt;b&gt;thanks&lt;/b&gt;"),
        "comments are escaped: {html}"
    );
    assert!(
        html.contains("Camden"),
        "a signed-in commenter's organisation is shown"
    );
}

async fn bad_comments_are_refused_with_reasons(app: TestApp) {
    let visitor = app.client();
    let r = app
        .post_form(
            &visitor,
            "/problems/p01",
            "/comments",
            &[
                ("kind", "problem"),
                ("slug", "p01"),
                ("name", ""),
                ("comment", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Enter your name") && html.contains("Enter your comment"));

    let long = "x".repeat(5001);
    let r = app
        .post_form(
            &visitor,
            "/problems/p01",
            "/comments",
            &[
                ("kind", "problem"),
                ("slug", "p01"),
                ("name", "A"),
                ("comment", &long),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("5,000 characters or fewer")
    );

    let r = app
        .post_form(
            &visitor,
            "/problems/p01",
            "/comments",
            &[
                ("kind", "problem"),
                ("slug", "no-such"),
                ("name", "A"),
                ("comment", "hi"),
            ],
        )
        .await;
    assert_eq!(r.status(), 404);

    // A robot filling the hidden field is thanked and ignored.
    let r = app
        .post_form(
            &visitor,
            "/problems/p01",
            "/comments",
            &[
                ("kind", "problem"),
                ("slug", "p01"),
                ("name", "Bot"),
                ("comment", "buy now"),
                ("website", "http://spam.example"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let count = || async {
        app.db
            .scalar::<i64>("SELECT COUNT(*) FROM guide_comments", vec![])
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(count().await, 0);

    for i in 0..5 {
        let r = app
            .post_form(
                &visitor,
                "/problems/p01",
                "/comments",
                &[
                    ("kind", "problem"),
                    ("slug", "p01"),
                    ("name", "A"),
                    ("comment", &format!("comment {i}")),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
    }
    let r = app
        .post_form(
            &visitor,
            "/problems/p01",
            "/comments",
            &[
                ("kind", "problem"),
                ("slug", "p01"),
                ("name", "A"),
                ("comment", "one too many"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("Wait 10 minutes"));
    assert_eq!(count().await, 5);
}
