//! Sign-in, sessions, CSRF, throttling, passwords, invitations, roles and the audit log.

use procurekit::accounts::Role;

use crate::helpers::{PASSWORD, TestApp, location};
use crate::on_both_databases;

on_both_databases!(
    a_user_signs_in_and_out,
    a_wrong_password_gets_a_clear_error_and_is_audited,
    repeated_failures_lock_the_account_for_a_while,
    a_forged_form_is_refused_and_changes_nothing,
    changing_password_checks_the_old_one_and_ends_other_sessions,
    an_org_admin_invites_people_into_their_own_organisation_only,
    roles_guard_the_admin_pages,
    api_tokens_authenticate_and_can_be_revoked,
);

async fn a_user_signs_in_and_out(app: TestApp) {
    let email = app.user("camden", Role::Officer).await;
    let anon = app.client();
    let r = anon.get(app.url("/account")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/sign-in?next=/account");

    let client = app.client();
    let token = app.csrf(&client, "/sign-in?next=/documents").await;
    let r = client
        .post(app.url("/sign-in"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", &email.to_uppercase()),
            ("password", PASSWORD),
            ("next", "/documents"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        location(&r),
        "/documents",
        "returns to where the user was going"
    );
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("pk_session="))
        .expect("session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    let (status, html) = app.get(&client, "/account").await;
    assert_eq!(status, 200);
    assert!(html.contains(&email) && html.contains("London Borough of Camden"));

    let r = app.post_form(&client, "/account", "/sign-out", &[]).await;
    assert_eq!(r.status(), 303);
    let r = client.get(app.url("/account")).send().await.unwrap();
    assert_eq!(r.status(), 303, "signed out");

    // An open redirect through ?next= is not possible.
    let client = app.client();
    let r = app
        .post_form(
            &client,
            "/sign-in",
            "/sign-in",
            &[
                ("email", &email),
                ("password", PASSWORD),
                ("next", "//evil.example/x"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/");
}

async fn a_wrong_password_gets_a_clear_error_and_is_audited(app: TestApp) {
    let email = app.user("hackney", Role::Officer).await;
    let client = app.client();
    let r = app
        .post_form(
            &client,
            "/sign-in",
            "/sign-in",
            &[("email", &email), ("password", "not the password")],
        )
        .await;
    assert_eq!(r.status(), 401);
    let html = r.text().await.unwrap();
    assert!(html.contains("There is a problem"));
    assert!(html.contains("Enter a correct email address and password"));
    assert!(
        html.contains(&format!("value=\"{email}\"")),
        "the email is kept"
    );

    // An unknown account gets exactly the same answer: no way to probe who has an account.
    let r = app
        .post_form(
            &client,
            "/sign-in",
            "/sign-in",
            &[
                ("email", "nobody@nowhere.example"),
                ("password", "whatever it is"),
            ],
        )
        .await;
    assert_eq!(r.status(), 401);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Enter a correct email address and password")
    );

    let r = app
        .post_form(
            &client,
            "/sign-in",
            "/sign-in",
            &[("email", "not-an-email"), ("password", "")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Enter an email address in the correct format"));
    assert!(html.contains("Enter your password"));

    let failed = app
        .db
        .scalar::<i64>(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'sign_in_failed'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(failed, Some(2));
}

async fn repeated_failures_lock_the_account_for_a_while(app: TestApp) {
    let email = app.user("lambeth", Role::Officer).await;
    let client = app.client();
    for _ in 0..5 {
        let r = app
            .post_form(
                &client,
                "/sign-in",
                "/sign-in",
                &[("email", &email), ("password", "guess guess guess")],
            )
            .await;
        assert_eq!(r.status(), 401);
    }
    // Now even the right password is refused, with a message saying what to do.
    let r = app
        .post_form(
            &client,
            "/sign-in",
            "/sign-in",
            &[("email", &email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status(), 429);
    let html = r.text().await.unwrap();
    assert!(html.contains("too many failed attempts"), "{html}");
    assert!(html.contains("Wait 15 minutes"));
    // Another account from the same address is unaffected.
    let other = app.user("lambeth", Role::Officer).await;
    app.signed_in(&other).await;
}

async fn a_forged_form_is_refused_and_changes_nothing(app: TestApp) {
    let email = app.user("camden", Role::Officer).await;
    let client = app.signed_in(&email).await;
    for token in [
        "",
        "0000000000000000000000000000000000000000000000000000000000000000",
    ] {
        let r = client
            .post(app.url("/account/password"))
            .form(&[
                ("csrf_token", token),
                ("current_password", PASSWORD),
                ("new_password", "a brand new password"),
                ("confirm_password", "a brand new password"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let html = r.text().await.unwrap();
        assert!(html.contains("This form could not be sent") && html.contains("Nothing was saved"));
    }
    // The signed-out visitor's token does not work for a signed-in session either.
    let anon = app.client();
    let anon_token = app.csrf(&anon, "/sign-in").await;
    let r = client
        .post(app.url("/account/tokens"))
        .form(&[("csrf_token", anon_token.as_str()), ("token_name", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        app.db
            .scalar::<i64>("SELECT COUNT(*) FROM api_tokens", vec![])
            .await
            .unwrap(),
        Some(0)
    );
    // The old password still works.
    app.signed_in(&email).await;
}

async fn changing_password_checks_the_old_one_and_ends_other_sessions(app: TestApp) {
    let email = app.user("camden", Role::Officer).await;
    let laptop = app.signed_in(&email).await;
    let phone = app.signed_in(&email).await;

    let r = app
        .post_form(
            &laptop,
            "/account",
            "/account/password",
            &[
                ("current_password", "wrong wrong wrong"),
                ("new_password", "a brand new password"),
                ("confirm_password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Your current password is incorrect")
    );

    let r = app
        .post_form(
            &laptop,
            "/account",
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "short"),
                ("confirm_password", "short"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("Password must be 12 characters or more")
    );

    let r = app
        .post_form(
            &laptop,
            "/account",
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new password"),
                ("confirm_password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.get(&laptop, "/account").await.0,
        200,
        "this session stays"
    );
    assert_eq!(
        phone
            .get(app.url("/account"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "other sessions end"
    );
    let client = app.client();
    let r = app
        .post_form(
            &client,
            "/sign-in",
            "/sign-in",
            &[("email", &email), ("password", "a brand new password")],
        )
        .await;
    assert_eq!(r.status(), 303);
}

async fn an_org_admin_invites_people_into_their_own_organisation_only(app: TestApp) {
    let admin = app.user("camden", Role::OrgAdmin).await;
    let client = app.signed_in(&admin).await;
    let (status, html) = app.get(&client, "/admin/users").await;
    assert_eq!(status, 200);
    assert!(html.contains(&admin));

    let r = app
        .post_form(
            &client,
            "/admin/users",
            "/admin/users/invite",
            &[("name", ""), ("email", "bad"), ("role", "officer")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Enter the person&#39;s full name")
            || html.contains("Enter the person's full name")
    );
    assert!(html.contains("Enter an email address in the correct format"));

    // A borough cannot invite a supplier user (role does not fit), nor pick the organisation.
    let r = app
        .post_form(
            &client,
            "/admin/users",
            "/admin/users/invite",
            &[
                ("name", "New Person"),
                ("email", "new.person@camden.example"),
                ("role", "supplier_user"),
                ("org_id", "999"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);

    let r = app
        .post_form(
            &client,
            "/admin/users",
            "/admin/users/invite",
            &[
                ("name", "New Person"),
                ("email", "New.Person@camden.example"),
                ("role", "commercial_lead"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let start = html.find("/invitations/").expect("invitation link");
    let link: String = html[start..].chars().take_while(|c| *c != '<').collect();

    let invitee = app.client();
    let (status, page) = app.get(&invitee, &link).await;
    assert_eq!(status, 200);
    assert!(page.contains("London Borough of Camden"));
    let r = app
        .post_form(
            &invitee,
            &link,
            &link,
            &[
                ("new_password", "invited person password"),
                ("confirm_password", "different"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .post_form(
            &invitee,
            &link,
            &link,
            &[
                ("new_password", "invited person password"),
                ("confirm_password", "invited person password"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, account) = app.get(&invitee, "/account").await;
    assert!(account.contains("new.person@camden.example") && account.contains("Commercial lead"));
    // The link works once.
    let (status, _) = app.get(&app.client(), &link).await;
    assert_eq!(status, 400);

    // Another borough's user is invisible to Camden's admin and cannot be changed by them.
    let hackney_user = app.user("hackney", Role::Officer).await;
    let (_, html) = app.get(&client, "/admin/users").await;
    assert!(!html.contains(&hackney_user));
    let id = procurekit::accounts::store::user_by_email(&app.db, &hackney_user)
        .await
        .unwrap()
        .unwrap()
        .id;
    let r = app
        .post_form(
            &client,
            "/admin/users",
            &format!("/admin/users/{id}/role"),
            &[("role", "org_admin")],
        )
        .await;
    assert_eq!(r.status(), 404);
    let still = procurekit::accounts::store::user(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.role, Role::Officer);

    let audit = app
        .db
        .scalar::<i64>(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'user_invited'",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(audit, Some(1));
}

async fn roles_guard_the_admin_pages(app: TestApp) {
    let officer = app
        .signed_in(&app.user("camden", Role::Officer).await)
        .await;
    for path in ["/admin", "/admin/users", "/admin/audit", "/admin/comments"] {
        assert_eq!(app.get(&officer, path).await.0, 403, "{path}");
    }
    let org_admin = app
        .signed_in(&app.user("camden", Role::OrgAdmin).await)
        .await;
    assert_eq!(app.get(&org_admin, "/admin/users").await.0, 200);
    for path in ["/admin", "/admin/audit", "/admin/comments"] {
        assert_eq!(app.get(&org_admin, path).await.0, 403, "{path}");
    }
    let platform = app
        .signed_in(&app.user("london-convenor", Role::PlatformAdmin).await)
        .await;
    for path in ["/admin", "/admin/users", "/admin/audit", "/admin/comments"] {
        assert_eq!(app.get(&platform, path).await.0, 200, "{path}");
    }
    let (_, audit) = app.get(&platform, "/admin/audit").await;
    assert!(audit.contains("Signed in"));
    // The platform admin sees users of every organisation.
    let (_, users) = app.get(&platform, "/admin/users").await;
    assert!(users.contains("London Borough of Camden") || users.contains("Camden"));
}

async fn api_tokens_authenticate_and_can_be_revoked(app: TestApp) {
    let email = app.user("hackney", Role::CommercialLead).await;
    let client = app.signed_in(&email).await;
    let r = app
        .post_form(
            &client,
            "/account",
            "/account/tokens",
            &[("token_name", "")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .post_form(
            &client,
            "/account",
            "/account/tokens",
            &[("token_name", "spend dashboard")],
        )
        .await;
    let html = r.text().await.unwrap();
    let start = html.find("pk_").expect("token shown once");
    let token: String = html[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    assert_eq!(token.len(), 67);

    let api = reqwest::Client::new();
    let r = api
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let me: serde_json::Value = r.json().await.unwrap();
    assert_eq!(me["email"], email.as_str());
    assert_eq!(me["organisation"], "London Borough of Hackney");

    let r = api
        .get(app.url("/api/v1/me"))
        .bearer_auth("pk_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = api.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), 401);

    let id = app
        .db
        .scalar::<i64>("SELECT id FROM api_tokens", vec![])
        .await
        .unwrap()
        .unwrap();
    let r = app
        .post_form(
            &client,
            "/account",
            &format!("/account/tokens/{id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = api
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
