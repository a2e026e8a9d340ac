//! Who may see what. Every record belongs to one organisation and has a [`Visibility`]; the
//! rule that turns a viewer and a record into "may see it" lives here and only here, as the SQL
//! predicate that every store query on an owned record includes ([`Viewer::scope`]). Templates
//! and handlers never decide visibility: a record the viewer may not see is simply not returned,
//! so another organisation's id in a URL reads as "not found".

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::accounts::{OrgKind, Role};
use crate::db::Arg;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// Its organisation only.
    Private,
    /// Every London authority and the convenor.
    London,
    /// Anyone, signed in or not, suppliers included.
    Public,
}

impl Visibility {
    pub const ALL: [Visibility; 3] = [Visibility::Private, Visibility::London, Visibility::Public];

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::London => "london",
            Visibility::Public => "public",
        }
    }

    /// How the choice is put to an officer on a form.
    pub fn label(self) -> &'static str {
        match self {
            Visibility::Private => "Only my organisation",
            Visibility::London => "London authorities and the convenor",
            Visibility::Public => "Everyone, including suppliers and the public",
        }
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("visibility must be private, london or public")]
pub struct BadVisibility;

impl FromStr for Visibility {
    type Err = BadVisibility;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "private" => Ok(Visibility::Private),
            "london" => Ok(Visibility::London),
            "public" => Ok(Visibility::Public),
            _ => Err(BadVisibility),
        }
    }
}

impl From<Visibility> for Arg {
    fn from(v: Visibility) -> Self {
        Arg::Text(Some(v.as_str().to_owned()))
    }
}

crate::text_column!(Visibility);

/// Whoever is asking: nobody (signed out), or a user of an organisation.
#[derive(Debug, Clone)]
pub struct Viewer {
    member: Option<Member>,
}

#[derive(Debug, Clone)]
struct Member {
    user_id: i64,
    org_id: i64,
    org_kind: OrgKind,
    role: Role,
}

/// A SQL predicate with its arguments, to be AND-ed into a query's WHERE clause.
#[derive(Debug, Clone)]
pub struct Scope {
    pub sql: String,
    pub args: Vec<Arg>,
}

impl Viewer {
    pub fn anonymous() -> Viewer {
        Viewer { member: None }
    }

    pub fn member(user_id: i64, org_id: i64, org_kind: OrgKind, role: Role) -> Viewer {
        Viewer {
            member: Some(Member {
                user_id,
                org_id,
                org_kind,
                role,
            }),
        }
    }

    pub fn user_id(&self) -> Option<i64> {
        self.member.as_ref().map(|m| m.user_id)
    }

    pub fn org_id(&self) -> Option<i64> {
        self.member.as_ref().map(|m| m.org_id)
    }

    pub fn role(&self) -> Option<Role> {
        self.member.as_ref().map(|m| m.role)
    }

    /// Boroughs and the convenor see `london` records; suppliers and other bodies do not.
    pub fn is_london_member(&self) -> bool {
        self.member
            .as_ref()
            .is_some_and(|m| matches!(m.org_kind, OrgKind::Borough | OrgKind::Convenor))
    }

    /// The predicate "this viewer may see the row", over a table alias whose rows carry
    /// `org_id` and `visibility`. Placeholders start at `$first`.
    ///
    /// Platform admins get no wider view: they run the platform, they do not read boroughs'
    /// private work.
    pub fn scope(&self, alias: &str, first: usize) -> Scope {
        match &self.member {
            None => Scope {
                sql: format!("{alias}.visibility = 'public'"),
                args: vec![],
            },
            Some(m) if self.is_london_member() => Scope {
                sql: format!(
                    "({alias}.visibility IN ('public', 'london') OR {alias}.org_id = ${first})"
                ),
                args: vec![Arg::from(m.org_id)],
            },
            Some(m) => Scope {
                sql: format!("({alias}.visibility = 'public' OR {alias}.org_id = ${first})"),
                args: vec![Arg::from(m.org_id)],
            },
        }
    }

    /// The predicate for records that belong to a conversation between organisations (a
    /// collaboration between two boroughs): visible to members of the organisations named in
    /// `org_columns` and to nobody else — not other boroughs, not platform admins.
    pub fn participant_scope(&self, org_columns: &[&str], first: usize) -> Scope {
        match self.org_id() {
            None => Scope {
                sql: "1 = 0".into(),
                args: vec![],
            },
            Some(org) => Scope {
                sql: format!("${first} IN ({})", org_columns.join(", ")),
                args: vec![Arg::from(org)],
            },
        }
    }

    /// The predicate for records shared by a group of organisations listed in a membership
    /// table (a joint procurement's partners): visible to members of those organisations only.
    /// `membership` is the table, `group_column` its column naming the group, and
    /// `group_expr` the SQL expression for the record's group id.
    pub fn membership_scope(
        &self,
        membership: &str,
        group_column: &str,
        group_expr: &str,
        first: usize,
    ) -> Scope {
        match self.org_id() {
            None => Scope {
                sql: "1 = 0".into(),
                args: vec![],
            },
            Some(org) => Scope {
                sql: format!(
                    "EXISTS (SELECT 1 FROM {membership} m WHERE m.{group_column} = {group_expr} AND m.org_id = ${first})"
                ),
                args: vec![Arg::from(org)],
            },
        }
    }

    /// The same rule in Rust, for records already in memory (and to test the SQL against).
    pub fn can_see(&self, owner_org_id: i64, visibility: Visibility) -> bool {
        match visibility {
            Visibility::Public => true,
            Visibility::London => self.is_london_member() || self.org_id() == Some(owner_org_id),
            Visibility::Private => self.org_id() == Some(owner_org_id),
        }
    }

    /// Changing a record is for people of the organisation that owns it.
    pub fn can_edit(&self, owner_org_id: i64) -> bool {
        self.org_id() == Some(owner_org_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_round_trips_through_text() {
        for v in Visibility::ALL {
            assert_eq!(v.as_str().parse::<Visibility>().ok(), Some(v));
        }
        assert!("London".parse::<Visibility>().is_err());
    }

    #[test]
    fn the_rule_in_rust() {
        let owner = 1;
        let same = Viewer::member(10, owner, OrgKind::Borough, Role::Officer);
        let other_borough = Viewer::member(11, 2, OrgKind::Borough, Role::OrgAdmin);
        let convenor = Viewer::member(12, 3, OrgKind::Convenor, Role::PlatformAdmin);
        let supplier = Viewer::member(13, 4, OrgKind::Supplier, Role::SupplierUser);
        let anon = Viewer::anonymous();
        use Visibility::*;
        let table = [
            (&same, [true, true, true]),
            (&other_borough, [false, true, true]),
            (&convenor, [false, true, true]),
            (&supplier, [false, false, true]),
            (&anon, [false, false, true]),
        ];
        for (viewer, expected) in table {
            let got = [Private, London, Public].map(|v| viewer.can_see(owner, v));
            assert_eq!(got, expected, "{viewer:?}");
        }
    }
}
