//! The standard itself, as data: `data/standards/requirements.toml`, compiled into the binary
//! and checked when it is loaded (and by a test, so a bad edit fails the build's tests rather
//! than a server).

use std::collections::HashSet;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use super::Level;
use super::openapi::CheckId;

const REQUIREMENTS_TOML: &str = include_str!("../../data/standards/requirements.toml");

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: String,
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    pub id: String,
    pub theme: String,
    pub level: Level,
    pub title: String,
    pub statement: String,
    pub rationale: String,
    /// What a supplier should show, and a borough check.
    pub evidence: String,
    /// Tender wording; `{system}` stands for the type of system being bought.
    pub clause: String,
    /// OpenAPI checker results that give mechanical evidence for it.
    pub checks: Vec<CheckId>,
    pub sources: Vec<String>,
}

/// A kind of system boroughs buy, which the tender wording is tailored to.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SystemType {
    pub id: String,
    pub name: String,
    /// How clauses name the system: "the {system}" becomes "the housing management system".
    pub noun: String,
    /// Open standards named in the open-standards clause for this type.
    pub standards: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standard {
    pub version: String,
    pub themes: Vec<Theme>,
    pub sources: Vec<Source>,
    pub requirements: Vec<Requirement>,
    pub system_types: Vec<SystemType>,
}

#[derive(Debug, thiserror::Error)]
pub enum StandardError {
    #[error("data/standards/requirements.toml: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("data/standards/requirements.toml: {0}")]
    Inconsistent(String),
}

static EMBEDDED: LazyLock<Standard> = LazyLock::new(|| {
    // The file is part of the build and `the_embedded_standard_is_consistent` checks it, so a
    // failure here is a defect in this build, not bad input.
    Standard::parse(REQUIREMENTS_TOML)
        .expect("data/standards/requirements.toml is checked by tests")
});

impl Standard {
    /// The standard compiled into this build.
    pub fn embedded() -> &'static Standard {
        &EMBEDDED
    }

    pub fn parse(text: &str) -> Result<Standard, StandardError> {
        let s: Standard = toml::from_str(text)?;
        s.check()?;
        Ok(s)
    }

    fn check(&self) -> Result<(), StandardError> {
        let bad = |m: String| Err(StandardError::Inconsistent(m));
        let themes: HashSet<&str> = self.themes.iter().map(|t| t.id.as_str()).collect();
        let sources: HashSet<&str> = self.sources.iter().map(|s| s.id.as_str()).collect();
        let mut ids = HashSet::new();
        for r in &self.requirements {
            let slug_like = !r.id.is_empty()
                && r.id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !slug_like {
                return bad(format!(
                    "requirement id {:?} must be lower-case words joined by hyphens",
                    r.id
                ));
            }
            if !ids.insert(r.id.as_str()) {
                return bad(format!("requirement id {:?} is used twice", r.id));
            }
            if !themes.contains(r.theme.as_str()) {
                return bad(format!("{}: unknown theme {:?}", r.id, r.theme));
            }
            for (name, text) in [
                ("title", &r.title),
                ("statement", &r.statement),
                ("rationale", &r.rationale),
                ("evidence", &r.evidence),
                ("clause", &r.clause),
            ] {
                if text.trim().is_empty() {
                    return bad(format!("{}: {name} is empty", r.id));
                }
            }
            if !r.clause.contains("{system}") {
                return bad(format!("{}: the clause must name {{system}}", r.id));
            }
            if r.sources.is_empty() {
                return bad(format!("{}: cite at least one source", r.id));
            }
            for s in &r.sources {
                if !sources.contains(s.as_str()) {
                    return bad(format!("{}: unknown source {s:?}", r.id));
                }
            }
        }
        for level in [Level::Must, Level::Should] {
            if !self.requirements.iter().any(|r| r.level == level) {
                return bad(format!("no {level} requirements"));
            }
        }
        let mut types = HashSet::new();
        for t in &self.system_types {
            if !types.insert(t.id.as_str()) {
                return bad(format!("system type {:?} is listed twice", t.id));
            }
            if t.standards.is_empty() {
                return bad(format!("system type {:?} names no standards", t.id));
            }
        }
        for s in &self.sources {
            if !s.url.starts_with("https://") {
                return bad(format!("source {:?} must have an https address", s.id));
            }
        }
        Ok(())
    }

    pub fn requirement(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }

    pub fn system_type(&self, id: &str) -> Option<&SystemType> {
        self.system_types.iter().find(|t| t.id == id)
    }

    pub fn theme_title(&self, id: &str) -> &str {
        self.themes
            .iter()
            .find(|t| t.id == id)
            .map_or("", |t| t.title.as_str())
    }

    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// Requirements in reading order: by theme, "must" before "should" within a theme.
    pub fn by_theme(&self) -> Vec<(&Theme, Vec<&Requirement>)> {
        self.themes
            .iter()
            .map(|t| {
                let mut rs: Vec<&Requirement> = self
                    .requirements
                    .iter()
                    .filter(|r| r.theme == t.id)
                    .collect();
                rs.sort_by_key(|r| r.level);
                (t, rs)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_standard_is_consistent() {
        let s = Standard::parse(REQUIREMENTS_TOML).unwrap_or_else(|e| panic!("{e}"));
        assert!(s.requirements.len() >= 15);
        // The themes of London's tender wording are all there.
        for id in [
            "api-business-functions",
            "api-write-parity",
            "bulk-extract",
            "changed-since-extract",
            "no-extra-charge",
            "return-and-deletion",
            "supplier-use-limits",
            "open-standards",
            "authentication",
            "rate-limits",
            "versioning-and-notice",
            "accessible-documentation",
        ] {
            assert!(s.requirement(id).is_some(), "{id}");
        }
        // Every OpenAPI check feeds at least one requirement.
        for c in CheckId::ALL {
            assert!(
                s.requirements.iter().any(|r| r.checks.contains(&c)),
                "no requirement uses check {c}"
            );
        }
        assert!(s.system_type("housing").is_some());
        assert!(
            s.system_type("service-directory")
                .is_some_and(|t| t.standards.iter().any(|x| x.contains("Open Referral UK")))
        );
    }

    #[test]
    fn inconsistent_standards_are_refused_with_the_reason() {
        let broken = REQUIREMENTS_TOML.replacen("theme = \"coverage\"", "theme = \"nowhere\"", 1);
        let e = Standard::parse(&broken).unwrap_err().to_string();
        assert!(e.contains("unknown theme \"nowhere\""), "{e}");
        let broken = REQUIREMENTS_TOML.replacen(
            "checks = [\"documentation\"]",
            "checks = [\"telepathy\"]",
            1,
        );
        assert!(Standard::parse(&broken).is_err());
        let broken = REQUIREMENTS_TOML.replacen(
            "id = \"api-write-parity\"",
            "id = \"api-business-functions\"",
            1,
        );
        let e = Standard::parse(&broken).unwrap_err().to_string();
        assert!(e.contains("used twice"), "{e}");
    }
}
