//! Visibility as a matrix: every route that reads or changes an owned record, every role, and
//! a record of another organisation at each visibility.

use procurekit::accounts::Role;
use procurekit::guide::documents;
use procurekit::visibility::Visibility;

use crate::helpers::TestApp;
use crate::on_both_databases;

on_both_databases!(documents_are_seen_exactly_as_their_visibility_allows);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Anonymous,
    OwnerOfficer,
    OtherBoroughOfficer,
    OtherBoroughCommercialLead,
    OtherBoroughAdmin,
    ConvenorPlatformAdmin,
    Supplier,
}

impl Who {
    const ALL: [Who; 7] = [
        Who::Anonymous,
        Who::OwnerOfficer,
        Who::OtherBoroughOfficer,
        Who::OtherBoroughCommercialLead,
        Who::OtherBoroughAdmin,
        Who::ConvenorPlatformAdmin,
        Who::Supplier,
    ];

    /// The rule, written out independently of the code under test.
    fn may_see(self, v: Visibility) -> bool {
        matches!(
            (self, v),
            (_, Visibility::Public)
                | (Who::OwnerOfficer, _)
                | (
                    Who::OtherBoroughOfficer
                        | Who::OtherBoroughCommercialLead
                        | Who::OtherBoroughAdmin
                        | Who::ConvenorPlatformAdmin,
                    Visibility::London
                )
        )
    }
}

async fn documents_are_seen_exactly_as_their_visibility_allows(app: TestApp) {
    app.supplier_org("test-supplier").await;
    let owner_email = app.user("camden", Role::Officer).await;
    let owner = procurekit::accounts::store::user_by_email(&app.db, &owner_email)
        .await
        .unwrap()
        .unwrap();
    let mut docs = Vec::new();
    for v in Visibility::ALL {
        let values = crate::helpers::valid_values_json("data-access-api-requirements");
        let id = documents::create(
            &app.db,
            owner.org_id,
            owner.id,
            "data-access-api-requirements",
            &format!("Camden {v} document"),
            &values,
            v,
        )
        .await
        .unwrap();
        docs.push((id, v));
    }

    for who in Who::ALL {
        let client = match who {
            Who::Anonymous => app.client(),
            Who::OwnerOfficer => app.signed_in(&owner_email).await,
            Who::OtherBoroughOfficer => {
                app.signed_in(&app.user("hackney", Role::Officer).await)
                    .await
            }
            Who::OtherBoroughCommercialLead => {
                app.signed_in(&app.user("hackney", Role::CommercialLead).await)
                    .await
            }
            Who::OtherBoroughAdmin => {
                app.signed_in(&app.user("hackney", Role::OrgAdmin).await)
                    .await
            }
            Who::ConvenorPlatformAdmin => {
                app.signed_in(&app.user("london-convenor", Role::PlatformAdmin).await)
                    .await
            }
            Who::Supplier => {
                app.signed_in(&app.user("test-supplier", Role::SupplierUser).await)
                    .await
            }
        };
        let (_, list_html) = app.get(&client, "/documents").await;
        let list_api: Vec<serde_json::Value> = client
            .get(app.url("/api/v1/documents"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for (id, v) in &docs {
            let expect = who.may_see(*v);
            let title = format!("Camden {v} document");
            let ctx = format!("{who:?} × {v}");
            // Reading routes: the page, the download and the API answer 200 or 404, never 403
            // (which would confirm the record exists).
            for path in [
                format!("/documents/{id}"),
                format!("/documents/{id}/download?format=md"),
                format!("/api/v1/documents/{id}"),
            ] {
                let status = client
                    .get(app.url(&path))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16();
                assert_eq!(status, if expect { 200 } else { 404 }, "{ctx}: GET {path}");
            }
            assert_eq!(list_html.contains(&title), expect, "{ctx}: /documents list");
            assert_eq!(
                list_api.iter().any(|d| d["title"] == title.as_str()),
                expect,
                "{ctx}: API list"
            );

            // Changing routes: only the owner's organisation.
            for (action, fields) in [
                (
                    format!("/documents/{id}/visibility"),
                    vec![("visibility", v.as_str())],
                ),
                (format!("/documents/{id}/delete"), vec![]),
            ] {
                if who == Who::OwnerOfficer && action.ends_with("delete") {
                    continue; // deleting is tested last, below
                }
                let page = if who == Who::Anonymous {
                    "/sign-in".to_owned()
                } else {
                    "/documents".to_owned()
                };
                let r = app.post_form(&client, &page, &action, &fields).await;
                let status = r.status().as_u16();
                let expected = match who {
                    Who::Anonymous => 303,
                    Who::OwnerOfficer => 303,
                    _ if expect => 403,
                    _ => 404,
                };
                assert_eq!(status, expected, "{ctx}: POST {action}");
            }
        }
    }
    // Nothing was changed by anyone but the owner, and the owner can delete.
    for (id, v) in &docs {
        let still: String = app
            .db
            .scalar(
                "SELECT visibility FROM documents WHERE id = $1",
                procurekit::args![*id],
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(still, v.as_str());
    }
    let owner_client = app.signed_in(&owner_email).await;
    let (id, _) = docs[0];
    let r = app
        .post_form(
            &owner_client,
            "/documents",
            &format!("/documents/{id}/delete"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.get(&owner_client, &format!("/documents/{id}")).await.0,
        404
    );
}
