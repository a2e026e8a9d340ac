//! Tender wording from the standard: the chosen requirements as numbered clauses for one type of
//! system, "must" items first (pass or fail), then "should" items (scored), each with the
//! evidence bidders are asked for. Markdown, so the guide's engine turns it into a .docx.

use super::{Level, Requirement, Standard, SystemType};

/// Why a tender could not be generated, per form field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenderError {
    #[error("Select the type of system you are buying")]
    NoSystemType,
    #[error("Select at least one requirement")]
    NoRequirements,
    #[error("Requirement {0:?} is not part of the standard")]
    UnknownRequirement(String),
}

/// A checked request: a known system type and known requirements, in the order they will
/// appear (must first, then should, each in the standard's order).
#[derive(Debug)]
pub struct Tender<'a> {
    pub standard: &'a Standard,
    pub system_type: &'a SystemType,
    pub requirements: Vec<&'a Requirement>,
}

impl<'a> Tender<'a> {
    pub fn new(
        standard: &'a Standard,
        system_type: &str,
        requirement_ids: &[&str],
    ) -> Result<Tender<'a>, Vec<TenderError>> {
        let mut errors = Vec::new();
        let st = standard.system_type(system_type);
        if st.is_none() {
            errors.push(TenderError::NoSystemType);
        }
        let mut chosen = Vec::new();
        for id in requirement_ids {
            match standard.requirement(id) {
                Some(r) => chosen.push(r),
                None => errors.push(TenderError::UnknownRequirement((*id).to_owned())),
            }
        }
        if requirement_ids.is_empty() {
            errors.push(TenderError::NoRequirements);
        }
        let Some(system_type) = st.filter(|_| errors.is_empty()) else {
            return Err(errors);
        };
        // In the standard's order, must before should, each requirement once.
        let requirements: Vec<&Requirement> = [Level::Must, Level::Should]
            .into_iter()
            .flat_map(|level| {
                standard
                    .requirements
                    .iter()
                    .filter(move |r| r.level == level)
            })
            .filter(|r| chosen.iter().any(|c| c.id == r.id))
            .collect();
        Ok(Tender {
            standard,
            system_type,
            requirements,
        })
    }

    pub fn title(&self) -> String {
        format!(
            "Data access and API requirements: {}",
            self.system_type.name
        )
    }

    /// The slug used in download file names.
    pub fn slug(&self) -> String {
        format!("data-api-requirements-{}", self.system_type.id)
    }

    fn clause(&self, r: &Requirement) -> String {
        r.clause
            .replace("{system}", &self.system_type.noun)
            .replace("{standards}", &join_list(&self.system_type.standards))
    }

    pub fn markdown(&self) -> String {
        let musts: Vec<&&Requirement> = self
            .requirements
            .iter()
            .filter(|r| r.level == Level::Must)
            .collect();
        let shoulds: Vec<&&Requirement> = self
            .requirements
            .iter()
            .filter(|r| r.level == Level::Should)
            .collect();
        let mut md = String::new();
        md.push_str(&format!("# {}\n\n", self.title()));
        md.push_str(&format!(
            "> **Model wording: a starting point only.** Generated from London's data and API standard (version {}) for a {}. Check it with your legal, information governance and procurement teams before use; it does not replace your standard terms or your data processing agreement.\n\n",
            self.standard.version, self.system_type.noun
        ));
        md.push_str("## How these requirements are assessed\n\n");
        if !musts.is_empty() {
            md.push_str("Requirements in part 1 are **mandatory**: a tender that does not meet every one of them will not be considered further. ");
        }
        if !shoulds.is_empty() {
            md.push_str("Requirements in part 2 are **scored** within the technical award criteria, as the tender documents set out. ");
        }
        md.push_str(
            "For each requirement, bidders must provide the evidence described under it.\n\n",
        );
        md.push_str("## Definitions\n\n");
        md.push_str("- **Authority Data:** all data that the authority, its residents, its staff or its other suppliers enter into, upload to or generate through the system, and any data derived from it.\n");
        md.push_str("- **API:** an application programming interface through which other software can read and write data and carry out business functions in the system.\n");
        md.push_str("- **Breaking change:** a change to the API that would stop a correctly built integration from working, such as removing or renaming an operation or a field, or changing its meaning.\n\n");
        let mut part = 1;
        for (items, level_title, prefix) in [
            (&musts, "Mandatory requirements (must)", "M"),
            (&shoulds, "Scored requirements (should)", "S"),
        ] {
            if items.is_empty() {
                continue;
            }
            md.push_str(&format!("## Part {part}: {level_title}\n\n"));
            part += 1;
            for (i, r) in items.iter().enumerate() {
                md.push_str(&format!("### {prefix}{}. {}\n\n", i + 1, r.title));
                md.push_str(&format!("{}\n\n", self.clause(r)));
                md.push_str(&format!("*Evidence to provide:* {}\n\n", r.evidence));
            }
        }
        md.push_str("## Sources\n\n");
        let mut cited: Vec<&str> = Vec::new();
        for r in &self.requirements {
            for s in &r.sources {
                if !cited.contains(&s.as_str()) {
                    cited.push(s);
                }
            }
        }
        for id in cited {
            if let Some(s) = self.standard.source(id) {
                md.push_str(&format!("- [{}]({})\n", s.title, s.url));
            }
        }
        md.push_str(&format!(
            "\n*Generated by procurekit from London's data and API standard, version {}.*\n",
            self.standard.version
        ));
        md
    }
}

/// "a", "a and b", "a, b and c".
fn join_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn must_items_come_first_whatever_order_they_were_picked_in() {
        let s = Standard::embedded();
        let t = Tender::new(
            s,
            "housing",
            &[
                "rate-limits",
                "no-extra-charge",
                "open-standards",
                "bulk-extract",
            ],
        )
        .unwrap();
        let md = t.markdown();
        let pos = |needle: &str| md.find(needle).unwrap_or_else(|| panic!("{needle}"));
        assert!(pos("## Part 1: Mandatory") < pos("## Part 2: Scored"));
        assert!(pos("### M1. A full bulk extract") < pos("### M2. No extra charge"));
        assert!(pos("### M2. No extra charge") < pos("### S1. Open data standards"));
        assert!(md.contains("### S2. Documented rate limits"));
        // The system is named and the type's open standards are listed.
        assert!(md.contains("held in the housing management system"));
        assert!(md.contains("UK Housing Data Standards (HACT), UPRN and USRN"));
        assert!(!md.contains("{system}") && !md.contains("{standards}"));
        assert!(md.contains("https://loti.london/resources/tender-wording-data-access-api/"));
    }

    #[test]
    fn only_should_items_make_one_part() {
        let s = Standard::embedded();
        let md = Tender::new(s, "service-directory", &["sandbox"])
            .unwrap()
            .markdown();
        assert!(md.contains("## Part 1: Scored requirements"));
        assert!(!md.contains("Mandatory requirements"));
    }

    #[test]
    fn bad_requests_say_what_is_wrong() {
        let s = Standard::embedded();
        assert_eq!(
            Tender::new(s, "", &[]).unwrap_err(),
            vec![TenderError::NoSystemType, TenderError::NoRequirements]
        );
        assert_eq!(
            Tender::new(s, "housing", &["telepathy"]).unwrap_err(),
            vec![TenderError::UnknownRequirement("telepathy".into())]
        );
    }

    #[test]
    fn lists_join_in_plain_english() {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(join_list(&v(&["a"])), "a");
        assert_eq!(join_list(&v(&["a", "b"])), "a and b");
        assert_eq!(join_list(&v(&["a", "b", "c"])), "a, b and c");
    }
}
