//! The data of a preliminary market engagement notice (UK2 on Find a Tender).
//!
//! Procurement Act 2023, s16 lets a contracting authority engage suppliers before a tender to
//! develop its requirements and approach, and s17(1) requires it, before publishing a tender
//! notice, either to publish a preliminary market engagement notice or to give reasons in the
//! tender notice for not doing so. The Procurement Regulations 2024 (SI 2024/692), reg 17(2),
//! set what the notice must contain: (a) the contracting authority information, (b) the title
//! of the procurement, (c) its unique identifier, (d) the contract subject-matter, (e) the date
//! the engagement will close or closed, and (f) a description of how the authority engages
//! suppliers (for example the location, date and time of events, and periods for expressions
//! of interest and information). procurekit assembles these from the event and its
//! procurement so an officer can copy them into the Central Digital Platform, and says what is
//! still missing. The unique identifier is allocated by the platform when the procurement is
//! first noticed there, so procurekit gives its own reference beside it.

use chrono::NaiveDate;
use serde::Serialize;

use super::events::{Engagement, Partner, Question};
use super::{Category, EngagementKind, EventFormat};
use crate::pipeline::store::Procurement;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Authority {
    pub name: String,
    pub gss_code: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CpvEntry {
    pub code: String,
    pub label: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SubjectMatter {
    pub description: String,
    /// goods, services or works, read from the CPV division.
    pub main_category: &'static str,
    pub cpv_codes: Vec<CpvEntry>,
    pub estimated_value_pence: Option<i64>,
    pub estimated_value_text: Option<String>,
    /// ITL 2021 code of where the contract is performed: London authorities are in TLI.
    pub delivery_itl_code: &'static str,
    pub delivery_region: &'static str,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PreliminaryMarketEngagementNotice {
    pub notice_type: &'static str,
    pub legal_basis: &'static str,
    /// Reg 17(2)(a): the lead authority, then the partners running the engagement with it.
    pub contracting_authorities: Vec<Authority>,
    /// Reg 17(2)(b).
    pub title: String,
    /// Reg 17(2)(c): procurekit's reference, until the platform allocates its identifier.
    pub procurekit_reference: String,
    /// Reg 17(2)(d).
    pub contract_subject_matter: SubjectMatter,
    /// Reg 17(2)(e): the date the engagement closes (or closed).
    pub engagement_closes_on: NaiveDate,
    pub engagement_has_closed: bool,
    /// Reg 17(2)(f).
    pub engagement_process: String,
    pub event_date: Option<NaiveDate>,
    pub event_start: Option<String>,
    pub event_end: Option<String>,
    pub event_location: Option<String>,
    /// What the officer still needs to add before the notice can be published.
    pub missing: Vec<String>,
}

/// The main category of a contract from its CPV division: 45 is works; divisions 03 to 44 and
/// 48 (software packages) are supplies (goods); 50 and above are services.
pub fn main_category(category: &Category) -> &'static str {
    match category.as_str()[..2].parse::<u32>().unwrap_or(0) {
        45 => "works",
        3..=44 | 48 => "goods",
        _ => "services",
    }
}

fn process_text(e: &Engagement, questions: &[Question]) -> String {
    let mut parts = Vec::new();
    parts.push(format!(
        "{} run on procurekit ({}).",
        e.kind.label(),
        e.format.label().to_lowercase()
    ));
    parts.push(format!(
        "Suppliers register their interest on procurekit until {}{}.",
        crate::web::filters::long_date(e.closes_on),
        match e.capacity {
            Some(c) => format!(" (places for {c} suppliers)"),
            None => String::new(),
        }
    ));
    if !questions.is_empty() {
        parts.push(format!(
            "Registered suppliers answer a questionnaire of {} question{} by the same date.",
            questions.len(),
            if questions.len() == 1 { "" } else { "s" }
        ));
    }
    if let Some(d) = e.event_date {
        let mut s = format!(
            "{} on {}",
            match e.kind {
                EngagementKind::Demo => "Demonstrations",
                EngagementKind::SupplierDay => "Supplier day",
                EngagementKind::Rfi => "Briefing",
            },
            crate::web::filters::long_date(d)
        );
        match (&e.event_start, &e.event_end) {
            (Some(a), Some(b)) => s.push_str(&format!(", {a} to {b}")),
            (Some(a), None) => s.push_str(&format!(", from {a}")),
            _ => {}
        }
        match e.format {
            EventFormat::Online => {
                s.push_str(", online (joining details sent to registered suppliers)")
            }
            EventFormat::InPerson => s.push_str(&format!(", at {}", e.location)),
            EventFormat::Hybrid => s.push_str(&format!(
                ", at {} and online (joining details sent to registered suppliers)",
                e.location
            )),
        }
        s.push('.');
        parts.push(s);
    }
    parts.push(
        "Questions from suppliers are answered in writing and published to every participant without naming who asked."
            .into(),
    );
    parts.join(" ")
}

pub fn build(
    e: &Engagement,
    procurement: Option<&Procurement>,
    partners: &[Partner],
    questions: &[Question],
) -> PreliminaryMarketEngagementNotice {
    let mut authorities = vec![Authority {
        name: e.org_name.clone(),
        gss_code: e.org_gss_code.clone(),
    }];
    authorities.extend(partners.iter().map(|p| Authority {
        name: p.name.clone(),
        gss_code: p.gss_code.clone(),
    }));
    let category = e.category();
    let mut cpv = Vec::new();
    if let Some(code) = procurement.and_then(Procurement::cpv) {
        cpv.push(CpvEntry {
            code: code.full(),
            label: code.label().to_owned(),
        });
    } else if let Some(code) = category.as_ref().and_then(Category::code) {
        cpv.push(CpvEntry {
            code: code.full(),
            label: code.label().to_owned(),
        });
    }
    let description = match procurement {
        Some(p) if !p.need.trim().is_empty() => p.need.clone(),
        _ => e.description.clone(),
    };
    let title = procurement
        .map(|p| p.title.clone())
        .unwrap_or_else(|| e.title.clone());
    let value = procurement.and_then(|p| p.estimated_value_pence);
    let mut missing = Vec::new();
    if description.trim().is_empty() {
        missing.push("A description of what is to be bought".to_owned());
    }
    if value.is_none() {
        missing.push(
            "An estimated value (optional in this notice, but suppliers look for it)".to_owned(),
        );
    }
    if e.event_date.is_some() && e.format != EventFormat::Online && e.location.trim().is_empty() {
        missing.push("Where the event is held".to_owned());
    }
    if e.event_date.is_some() && e.event_start.is_none() {
        missing.push("The time of the event".to_owned());
    }
    if e.kind == EngagementKind::Rfi && questions.is_empty() {
        missing.push("The questionnaire's questions".to_owned());
    }
    PreliminaryMarketEngagementNotice {
        notice_type: "UK2",
        legal_basis: "Procurement Act 2023, sections 16 and 17(1)(a); Procurement Regulations 2024, regulation 17",
        contracting_authorities: authorities,
        title,
        procurekit_reference: match procurement {
            Some(p) => format!("procurekit-procurement-{}", p.id),
            None => format!("procurekit-engagement-{}", e.id),
        },
        contract_subject_matter: SubjectMatter {
            description,
            main_category: category.as_ref().map(main_category).unwrap_or("services"),
            cpv_codes: cpv,
            estimated_value_pence: value,
            estimated_value_text: value.map(|v| crate::money::Pence(v).display()),
            delivery_itl_code: "TLI",
            delivery_region: "London",
        },
        engagement_closes_on: e.closes_on,
        engagement_has_closed: e.is_closed(),
        engagement_process: process_text(e, questions),
        event_date: e.event_date,
        event_start: e.event_start.clone(),
        event_end: e.event_end.clone(),
        event_location: (!e.location.trim().is_empty()).then(|| e.location.clone()),
        missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn main_category_follows_the_cpv_division() {
        let c = |s| Category::parse(s).unwrap();
        assert_eq!(main_category(&c("45")), "works");
        assert_eq!(main_category(&c("48")), "goods");
        assert_eq!(main_category(&c("302")), "goods");
        assert_eq!(main_category(&c("72")), "services");
        assert_eq!(main_category(&c("79")), "services");
    }
}
