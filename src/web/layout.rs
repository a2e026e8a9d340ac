//! What every page's frame needs: title, who is signed in, the CSRF token for its forms,
//! where the person is (navigation and breadcrumbs).

use super::auth::Auth;

#[derive(Debug, Clone)]
pub struct SignedInAs {
    pub name: String,
    pub org_name: String,
    pub is_platform_admin: bool,
    pub is_org_admin: bool,
}

#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    pub user: Option<SignedInAs>,
    pub csrf: String,
    /// Which item of the service navigation is current.
    pub nav: &'static str,
    pub breadcrumbs: Vec<(String, String)>,
    /// A success message after a completed action (the notification banner pattern).
    pub notice: Option<String>,
}

/// The service navigation, in order: (key, label, href).
pub const NAV: &[(&str, &str, &str)] = &[
    ("guide", "Guide", "/guide"),
    ("templates", "Templates", "/templates"),
    ("pipeline", "Pipeline", "/pipeline"),
    ("opportunities", "Opportunities", "/opportunities"),
    ("market", "Market", "/market"),
    ("spend", "Spend", "/spend"),
    ("estate", "Estate", "/estate"),
    ("joint", "Joint", "/joint"),
    ("contracts", "Contracts", "/contracts"),
    ("standards", "Standards", "/standards"),
    ("problems", "Problems", "/problems"),
    ("search", "Search", "/search"),
];

impl Layout {
    pub fn new(auth: &Auth, title: impl Into<String>) -> Layout {
        Layout {
            title: title.into(),
            user: auth.user.as_ref().map(|u| SignedInAs {
                name: u.name.clone(),
                org_name: u.org_name.clone(),
                is_platform_admin: u.role == crate::accounts::Role::PlatformAdmin,
                is_org_admin: u.role.is_org_admin(),
            }),
            csrf: auth.csrf.clone(),
            nav: "",
            breadcrumbs: Vec::new(),
            notice: None,
        }
    }

    /// For error pages rendered where no request state is at hand.
    pub fn bare(title: &str) -> Layout {
        Layout {
            title: title.into(),
            user: None,
            csrf: String::new(),
            nav: "",
            breadcrumbs: Vec::new(),
            notice: None,
        }
    }

    pub fn nav(mut self, key: &'static str) -> Layout {
        self.nav = key;
        self
    }

    pub fn crumb(mut self, label: impl Into<String>, href: impl Into<String>) -> Layout {
        self.breadcrumbs.push((label.into(), href.into()));
        self
    }

    pub fn notice(mut self, notice: Option<String>) -> Layout {
        self.notice = notice;
        self
    }

    pub fn nav_items(&self) -> &'static [(&'static str, &'static str, &'static str)] {
        NAV
    }
}
