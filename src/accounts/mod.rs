//! Organisations, people, roles, sign-in, sessions and the audit log.

pub mod password;
pub mod session;
pub mod store;
pub mod throttle;
pub mod web;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::db::Arg;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// One of the 33 London authorities (32 boroughs and the City of London).
    Borough,
    /// The body that convenes London's boroughs (a LOTI-like organisation).
    Convenor,
    Supplier,
    /// A public body that is not a London authority (another council, TfL…), known from data.
    OtherPublicBody,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Borough => "borough",
            OrgKind::Convenor => "convenor",
            OrgKind::Supplier => "supplier",
            OrgKind::OtherPublicBody => "other_public_body",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OrgKind::Borough => "London authority",
            OrgKind::Convenor => "Convenor",
            OrgKind::Supplier => "Supplier",
            OrgKind::OtherPublicBody => "Other public body",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown organisation kind {0:?}")]
pub struct BadOrgKind(String);

impl FromStr for OrgKind {
    type Err = BadOrgKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "borough" => OrgKind::Borough,
            "convenor" => OrgKind::Convenor,
            "supplier" => OrgKind::Supplier,
            "other_public_body" => OrgKind::OtherPublicBody,
            _ => return Err(BadOrgKind(s.into())),
        })
    }
}
crate::text_column!(OrgKind);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A borough or convenor officer: reads, writes and shares their organisation's work.
    Officer,
    /// Leads commercial work: as an officer, and signs off what the organisation publishes.
    CommercialLead,
    /// Manages the organisation's people and settings.
    OrgAdmin,
    /// Runs the platform: every organisation's users, comments and the audit log.
    PlatformAdmin,
    /// Works for a supplier organisation.
    SupplierUser,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Officer,
        Role::CommercialLead,
        Role::OrgAdmin,
        Role::PlatformAdmin,
        Role::SupplierUser,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Officer => "officer",
            Role::CommercialLead => "commercial_lead",
            Role::OrgAdmin => "org_admin",
            Role::PlatformAdmin => "platform_admin",
            Role::SupplierUser => "supplier_user",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Officer => "Officer",
            Role::CommercialLead => "Commercial lead",
            Role::OrgAdmin => "Organisation admin",
            Role::PlatformAdmin => "Platform admin",
            Role::SupplierUser => "Supplier user",
        }
    }

    /// Which roles an organisation of this kind may hold. A supplier's people are supplier
    /// users; a borough's never are; platform admins belong to the convenor.
    pub fn fits(self, kind: OrgKind) -> bool {
        match self {
            Role::SupplierUser => kind == OrgKind::Supplier,
            Role::PlatformAdmin => kind == OrgKind::Convenor,
            Role::Officer | Role::CommercialLead | Role::OrgAdmin => kind != OrgKind::Supplier,
        }
    }

    pub fn is_org_admin(self) -> bool {
        matches!(self, Role::OrgAdmin | Role::PlatformAdmin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error(
    "unknown role {0:?}: use officer, commercial_lead, org_admin, platform_admin or supplier_user"
)]
pub struct BadRole(String);

impl FromStr for Role {
    type Err = BadRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| BadRole(s.into()))
    }
}
crate::text_column!(Role);

impl From<Role> for Arg {
    fn from(r: Role) -> Self {
        Arg::Text(Some(r.as_str().into()))
    }
}
impl From<OrgKind> for Arg {
    fn from(k: OrgKind) -> Self {
        Arg::Text(Some(k.as_str().into()))
    }
}

/// An ONS GSS code such as `E09000001`: a letter for the nation, two digits for the entity
/// type, six digits. London's authorities are E09000001–E09000033.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct GssCode(String);

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0:?} is not a GSS code (a letter E, W, S or N and eight digits, like E09000001)")]
pub struct BadGssCode(String);

impl GssCode {
    pub fn parse(s: &str) -> Result<GssCode, BadGssCode> {
        let s = s.trim().to_ascii_uppercase();
        let mut chars = s.chars();
        let ok = s.len() == 9
            && matches!(chars.next(), Some('E' | 'W' | 'S' | 'N'))
            && chars.all(|c| c.is_ascii_digit());
        if ok {
            Ok(GssCode(s))
        } else {
            Err(BadGssCode(s))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// E09 is the entity code for London boroughs (and the City of London).
    pub fn is_london(&self) -> bool {
        self.0.starts_with("E09")
    }
}

impl TryFrom<String> for GssCode {
    type Error = BadGssCode;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        GssCode::parse(&s)
    }
}
impl From<GssCode> for String {
    fn from(g: GssCode) -> String {
        g.0
    }
}
impl fmt::Display for GssCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An email address as people sign in with it: trimmed and lower-cased, with one `@`, a local
/// part and a dotted domain. Deliverability is for the mail server to judge, not a regex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BadEmail {
    #[error("Enter an email address")]
    Empty,
    #[error("Enter an email address in the correct format, like name@example.gov.uk")]
    Format,
}

impl Email {
    pub fn parse(s: &str) -> Result<Email, BadEmail> {
        let s = s.trim().to_lowercase();
        if s.is_empty() {
            return Err(BadEmail::Empty);
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(BadEmail::Format);
        };
        let ok = !local.is_empty()
            && s.len() <= 254
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !s.chars().any(|c| c.is_whitespace() || c.is_control());
        if ok {
            Ok(Email(s))
        } else {
            Err(BadEmail::Format)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&Email> for Arg {
    fn from(e: &Email) -> Self {
        Arg::Text(Some(e.0.clone()))
    }
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize, utoipa::ToSchema)]
pub struct Organisation {
    pub id: i64,
    pub kind: OrgKind,
    pub name: String,
    pub short_name: String,
    pub slug: String,
    pub gss_code: Option<String>,
    pub company_number: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub org_id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub org_name: String,
    pub org_kind: OrgKind,
    pub last_sign_in_at: Option<i64>,
}

impl User {
    /// The roles this user could be given, given their organisation's kind.
    pub fn role_choices(&self) -> Vec<Role> {
        Role::ALL
            .into_iter()
            .filter(|r| r.fits(self.org_kind))
            .collect()
    }

    pub fn viewer(&self) -> crate::visibility::Viewer {
        crate::visibility::Viewer::member(self.id, self.org_id, self.org_kind, self.role)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gss_codes() {
        assert_eq!(GssCode::parse(" e09000001 ").unwrap().as_str(), "E09000001");
        assert!(GssCode::parse("E09000001").unwrap().is_london());
        assert!(!GssCode::parse("E08000036").unwrap().is_london());
        for bad in ["", "E0900000", "E090000011", "X09000001", "E09O00001"] {
            assert!(GssCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse(" Jo.Bloggs@Hackney.gov.uk ").unwrap().as_str(),
            "jo.bloggs@hackney.gov.uk"
        );
        assert_eq!(Email::parse("  "), Err(BadEmail::Empty));
        for bad in [
            "jo",
            "jo@",
            "@x.uk",
            "jo@localhost",
            "jo@x.uk.",
            "a b@x.uk",
            "a@b@x.uk",
        ] {
            assert_eq!(Email::parse(bad), Err(BadEmail::Format), "{bad}");
        }
    }

    #[test]
    fn roles_fit_organisations() {
        assert!(Role::SupplierUser.fits(OrgKind::Supplier));
        assert!(!Role::Officer.fits(OrgKind::Supplier));
        assert!(!Role::SupplierUser.fits(OrgKind::Borough));
        assert!(Role::PlatformAdmin.fits(OrgKind::Convenor));
        assert!(!Role::PlatformAdmin.fits(OrgKind::Borough));
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
    }
}
