//! The JSON API and its OpenAPI description.

use crate::helpers::TestApp;
use crate::on_both_databases;

on_both_databases!(
    the_guide_api_is_readable_signed_out,
    the_openapi_document_describes_every_route
);

async fn the_guide_api_is_readable_signed_out(app: TestApp) {
    let client = reqwest::Client::new();
    let pages: Vec<serde_json::Value> = client
        .get(app.url("/api/v1/guide/pages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(pages.len() >= 35);
    for p in &pages {
        for key in ["slug", "title", "section", "roles", "summary", "url"] {
            assert!(!p[key].is_null(), "{key} in {p}");
        }
        assert!(!p["roles"]["responsible"].as_array().unwrap().is_empty());
    }
    let stages: std::collections::BTreeSet<&str> = pages
        .iter()
        .filter(|p| p["is_stage"] == true)
        .map(|p| p["section"].as_str().unwrap())
        .collect();
    assert_eq!(
        stages.into_iter().collect::<Vec<_>>(),
        [
            "design",
            "execution",
            "management",
            "preparation",
            "strategy"
        ]
    );

    let slug = pages[0]["slug"].as_str().unwrap();
    let page: serde_json::Value = client
        .get(app.url(&format!("/api/v1/guide/pages/{slug}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["parts"].as_array().unwrap().len(), 5);
    let r = client
        .get(app.url("/api/v1/guide/pages/nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/problem+json");

    let problems: Vec<serde_json::Value> = client
        .get(app.url("/api/v1/guide/problems"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(problems.len(), 25);
    // Coverage is computed from the capabilities this build serves, so a problem that needs a
    // capability not built yet is at most partly answered.
    for p in &problems {
        let needs_more = p["capabilities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| !procurekit::capabilities::is_live(c.as_str().unwrap_or("")));
        let coverage = p["coverage"].as_str().unwrap();
        if needs_more {
            assert_eq!(coverage, "partial", "{}", p["id"]);
            assert!(!p["missing_capabilities"].as_array().unwrap().is_empty());
        } else {
            assert_eq!(coverage, "full", "{}", p["id"]);
        }
    }
    let (_, html) = app.get(&app.client(), "/problems/coverage").await;
    let partial = problems
        .iter()
        .filter(|p| p["coverage"] == "partial")
        .count();
    assert!(
        html.contains(&format!("{partial} are partly answered")),
        "coverage page agrees with the API"
    );

    let templates: Vec<serde_json::Value> = client
        .get(app.url("/api/v1/guide/templates"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(templates.len() >= 8);
    assert!(
        templates
            .iter()
            .all(|t| !t["fields"].as_array().unwrap().is_empty())
    );
}

async fn the_openapi_document_describes_every_route(app: TestApp) {
    let doc: serde_json::Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/guide/pages",
        "/api/v1/guide/pages/{slug}",
        "/api/v1/guide/problems",
        "/api/v1/guide/templates",
        "/api/v1/search",
        "/api/v1/documents",
        "/api/v1/documents/{id}",
        "/api/v1/me",
    ] {
        assert!(paths.contains_key(p), "{p} documented");
        // Every documented route answers (with a placeholder id where needed).
        let concrete = p
            .replace("{slug}", "consider-joint-procurement")
            .replace("{id}", "1");
        let status = reqwest::get(app.url(&format!("{concrete}?q=x")))
            .await
            .unwrap()
            .status()
            .as_u16();
        assert!([200, 401, 404].contains(&status), "{p}: {status}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["token"]["scheme"],
        "bearer"
    );
}
