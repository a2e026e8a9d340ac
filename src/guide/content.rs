//! The guide's content: pages, templates and problem statements, written as Markdown with TOML
//! front matter in `content/` and compiled into the binary. Loading checks every rule that
//! `content/README.md` promises, so broken content fails the build's tests, not a reader.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::markdown;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    Preparation,
    Strategy,
    Design,
    Execution,
    Management,
    Collaboration,
    Interoperability,
    Smes,
    RoutesToMarket,
}

impl Section {
    pub const ALL: [Section; 9] = [
        Section::Preparation,
        Section::Strategy,
        Section::Design,
        Section::Execution,
        Section::Management,
        Section::Collaboration,
        Section::Interoperability,
        Section::Smes,
        Section::RoutesToMarket,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Section::Preparation => "preparation",
            Section::Strategy => "strategy",
            Section::Design => "design",
            Section::Execution => "execution",
            Section::Management => "management",
            Section::Collaboration => "collaboration",
            Section::Interoperability => "interoperability",
            Section::Smes => "smes",
            Section::RoutesToMarket => "routes-to-market",
        }
    }

    pub fn from_slug(s: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|x| x.slug() == s)
    }

    /// The five lifecycle stages, as opposed to the cross-cutting guide books.
    pub fn is_stage(self) -> bool {
        matches!(
            self,
            Section::Preparation
                | Section::Strategy
                | Section::Design
                | Section::Execution
                | Section::Management
        )
    }

    pub fn title(self) -> &'static str {
        match self {
            Section::Preparation => "Preparation",
            Section::Strategy => "Strategy",
            Section::Design => "Design",
            Section::Execution => "Execution",
            Section::Management => "Management",
            Section::Collaboration => "Collaboration between boroughs",
            Section::Interoperability => "Interoperability and data access",
            Section::Smes => "Working with SMEs and startups",
            Section::RoutesToMarket => "Routes to market under the Procurement Act 2023",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Section::Preparation => {
                "Everyday practice that is not tied to one procurement: pipelines, contract registers, spend insight, governance and joined-up teams."
            }
            Section::Strategy => {
                "Before you commit to a route: user needs, the business case, market engagement, other boroughs' plans and the route to market."
            }
            Section::Design => {
                "What you will ask for and how you will judge it: specifications, data and API requirements, pricing, exit, award criteria and KPIs."
            }
            Section::Execution => {
                "Running the procedure under the Procurement Act 2023: procedures, frameworks, direct award, notices, evaluation and standstill."
            }
            Section::Management => {
                "After award: managing the contract and the supplier for continuous improvement, changes, insight shared across London, and exit."
            }
            Section::Collaboration => {
                "How London authorities share insight, align governance and buy together."
            }
            Section::Interoperability => {
                "Keeping control of your data: data flows, open standards, and getting your data back."
            }
            Section::Smes => "Reaching small suppliers and keeping requirements proportionate.",
            Section::RoutesToMarket => {
                "The essentials of the Procurement Act 2023 for technology buyers."
            }
        }
    }
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RaciRole {
    Procurement,
    DigitalIt,
    ServiceTeam,
    CioCdo,
    ContractManager,
    FinanceLegal,
}

impl RaciRole {
    pub const ALL: [RaciRole; 6] = [
        RaciRole::Procurement,
        RaciRole::DigitalIt,
        RaciRole::ServiceTeam,
        RaciRole::CioCdo,
        RaciRole::ContractManager,
        RaciRole::FinanceLegal,
    ];

    pub fn label(self) -> &'static str {
        match self {
            RaciRole::Procurement => "Procurement and commercial",
            RaciRole::DigitalIt => "Digital and IT",
            RaciRole::ServiceTeam => "Service team",
            RaciRole::CioCdo => "CIO or CDO",
            RaciRole::ContractManager => "Contract manager",
            RaciRole::FinanceLegal => "Finance and legal",
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Raci {
    #[serde(default)]
    pub responsible: Vec<RaciRole>,
    #[serde(default)]
    pub accountable: Vec<RaciRole>,
    #[serde(default)]
    pub consulted: Vec<RaciRole>,
    #[serde(default)]
    pub informed: Vec<RaciRole>,
}

impl Raci {
    /// One row per role that has a part, with its letters ("R", "A", "C", "I").
    pub fn rows(&self) -> Vec<(&'static str, String)> {
        RaciRole::ALL
            .into_iter()
            .filter_map(|role| {
                let parts: Vec<&str> = [
                    (&self.responsible, "Responsible"),
                    (&self.accountable, "Accountable"),
                    (&self.consulted, "Consulted"),
                    (&self.informed, "Informed"),
                ]
                .into_iter()
                .filter(|(list, _)| list.contains(&role))
                .map(|(_, name)| name)
                .collect();
                (!parts.is_empty()).then(|| (role.label(), parts.join(", ")))
            })
            .collect()
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Source {
    pub title: String,
    pub url: String,
}

/// Product capabilities, as content refers to them. Whether each exists yet is decided by the
/// product itself ([`crate::capabilities`]), never by the content.
pub const CAPABILITIES: [&str; 8] = [
    "guide",
    "spend",
    "estate",
    "pipeline",
    "engagement",
    "joint",
    "contracts",
    "standards",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PageFront {
    title: String,
    section: Section,
    order: u32,
    summary: String,
    #[serde(default)]
    templates: Vec<String>,
    #[serde(default)]
    problems: Vec<String>,
    #[serde(default)]
    tools: Vec<String>,
    #[serde(default)]
    related: Vec<String>,
    raci: Raci,
    #[serde(default)]
    sources: Vec<Source>,
}

/// One part of a page under its `##` heading.
#[derive(Debug, Clone)]
pub struct PagePart {
    pub heading: String,
    pub id: String,
    pub html: String,
}

#[derive(Debug, Clone)]
pub struct GuidePage {
    pub slug: String,
    pub title: String,
    pub section: Section,
    pub order: u32,
    pub summary: String,
    pub templates: Vec<String>,
    pub problems: Vec<String>,
    pub tools: Vec<String>,
    pub related: Vec<String>,
    pub raci: Raci,
    pub sources: Vec<Source>,
    pub parts: Vec<PagePart>,
    pub plain_text: String,
}

/// The five headings every guide page has, in this order.
pub const PAGE_HEADINGS: [&str; 5] = [
    "What is it?",
    "Why does it matter?",
    "Who should do it?",
    "How should you do it?",
    "Do it with other boroughs",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    Text,
    Textarea,
    Date,
    Money,
    Number,
    Authority,
    Authorities,
    Select,
    List,
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub name: String,
    pub label: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub hint: String,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub default: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateFront {
    title: String,
    summary: String,
    #[serde(default)]
    guide: Vec<String>,
    fields: Vec<Field>,
}

#[derive(Debug, Clone)]
pub struct DocTemplate {
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub guide: Vec<String>,
    pub fields: Vec<Field>,
    /// MiniJinja source producing Markdown.
    pub body: String,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ProblemGroup {
    Procurement,
    Digital,
    Service,
    Suppliers,
    Leadership,
}

impl ProblemGroup {
    pub const ALL: [ProblemGroup; 5] = [
        ProblemGroup::Procurement,
        ProblemGroup::Digital,
        ProblemGroup::Service,
        ProblemGroup::Suppliers,
        ProblemGroup::Leadership,
    ];

    pub fn title(self) -> &'static str {
        match self {
            ProblemGroup::Procurement => "Procurement and commercial teams",
            ProblemGroup::Digital => "Digital and IT leads",
            ProblemGroup::Service => "Service teams and contract managers",
            ProblemGroup::Suppliers => "Suppliers, SMEs and startups",
            ProblemGroup::Leadership => "Leaders and the London-wide view",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProblemFront {
    id: String,
    title: String,
    group: ProblemGroup,
    #[serde(default)]
    guide: Vec<String>,
    #[serde(default)]
    templates: Vec<String>,
    #[serde(default)]
    capabilities: Vec<String>,
    #[serde(default)]
    sources: Vec<Source>,
}

#[derive(Debug, Clone)]
pub struct Problem {
    pub id: String,
    pub title: String,
    pub group: ProblemGroup,
    pub guide: Vec<String>,
    pub templates: Vec<String>,
    pub capabilities: Vec<String>,
    pub sources: Vec<Source>,
    pub html: String,
    pub plain_text: String,
}

#[derive(Debug, Default)]
pub struct Content {
    pub pages: Vec<GuidePage>,
    pub templates: Vec<DocTemplate>,
    pub problems: Vec<Problem>,
}

/// Everything wrong with the content, one line per problem, naming the file.
#[derive(Debug, thiserror::Error)]
#[error("the guide's content has {} problem(s):\n{}", .0.len(), .0.join("\n"))]
pub struct ContentErrors(pub Vec<String>);

fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text.strip_prefix("+++")?;
    let rest = rest
        .strip_prefix('\n')
        .or_else(|| rest.strip_prefix("\r\n"))?;
    let end = rest.find("\n+++")?;
    let front = &rest[..end];
    let body = rest[end + 4..].trim_start_matches(['\r', '\n']);
    Some((front, body))
}

impl Content {
    /// Loads the content compiled into the binary.
    pub fn embedded() -> Result<Content, ContentErrors> {
        Content::from_files(crate::web::assets::content_files())
    }

    /// Loads and checks content from (path, text) pairs such as `("guide/x.md", "+++…")`.
    pub fn from_files(files: &[(&str, &str)]) -> Result<Content, ContentErrors> {
        let mut errors = Vec::new();
        let mut content = Content::default();
        for (path, text) in files {
            let Some((dir, file)) = path.split_once('/') else {
                continue;
            };
            let Some(slug) = file.strip_suffix(".md") else {
                continue;
            };
            let Some((front, body)) = split_front_matter(text) else {
                errors.push(format!("{path}: no +++ front matter at the top"));
                continue;
            };
            match dir {
                "guide" => match toml::from_str::<PageFront>(front) {
                    Ok(f) => match page_parts(body) {
                        Ok(parts) => content.pages.push(GuidePage {
                            slug: slug.into(),
                            title: f.title,
                            section: f.section,
                            order: f.order,
                            summary: f.summary,
                            templates: f.templates,
                            problems: f.problems,
                            tools: f.tools,
                            related: f.related,
                            raci: f.raci,
                            sources: f.sources,
                            parts,
                            plain_text: markdown::to_plain_text(body),
                        }),
                        Err(e) => errors.push(format!("{path}: {e}")),
                    },
                    Err(e) => errors.push(format!("{path}: front matter: {e}")),
                },
                "templates" => match toml::from_str::<TemplateFront>(front) {
                    Ok(f) => content.templates.push(DocTemplate {
                        slug: slug.into(),
                        title: f.title,
                        summary: f.summary,
                        guide: f.guide,
                        fields: f.fields,
                        body: body.to_owned(),
                    }),
                    Err(e) => errors.push(format!("{path}: front matter: {e}")),
                },
                "problems" => match toml::from_str::<ProblemFront>(front) {
                    Ok(f) => {
                        if f.id != slug {
                            errors
                                .push(format!("{path}: id {:?} differs from the file name", f.id));
                        }
                        content.problems.push(Problem {
                            id: f.id,
                            title: f.title,
                            group: f.group,
                            guide: f.guide,
                            templates: f.templates,
                            capabilities: f.capabilities,
                            sources: f.sources,
                            html: markdown::to_html(body),
                            plain_text: markdown::to_plain_text(body),
                        })
                    }
                    Err(e) => errors.push(format!("{path}: front matter: {e}")),
                },
                _ => {}
            }
        }
        content
            .pages
            .sort_by(|a, b| (a.section, a.order, &a.slug).cmp(&(b.section, b.order, &b.slug)));
        content.templates.sort_by(|a, b| a.title.cmp(&b.title));
        content.problems.sort_by(|a, b| a.id.cmp(&b.id));
        errors.extend(content.check());
        if errors.is_empty() {
            Ok(content)
        } else {
            Err(ContentErrors(errors))
        }
    }

    /// Cross-references and rules that need the whole content set.
    fn check(&self) -> Vec<String> {
        let mut errors = Vec::new();
        let pages: HashSet<&str> = self.pages.iter().map(|p| p.slug.as_str()).collect();
        let templates: HashSet<&str> = self.templates.iter().map(|t| t.slug.as_str()).collect();
        let problems: HashSet<&str> = self.problems.iter().map(|p| p.id.as_str()).collect();
        let check_refs = |errors: &mut Vec<String>,
                          path: &str,
                          what: &str,
                          refs: &[String],
                          known: &HashSet<&str>| {
            for r in refs {
                if !known.contains(r.as_str()) {
                    errors.push(format!("{path}: unknown {what} {r:?}"));
                }
            }
        };
        for p in &self.pages {
            let path = format!("guide/{}.md", p.slug);
            check_refs(&mut errors, &path, "template", &p.templates, &templates);
            check_refs(&mut errors, &path, "problem", &p.problems, &problems);
            check_refs(&mut errors, &path, "related page", &p.related, &pages);
            for t in &p.tools {
                if !CAPABILITIES.contains(&t.as_str()) {
                    errors.push(format!("{path}: unknown tool {t:?}"));
                }
            }
            if p.raci.responsible.is_empty() || p.raci.accountable.is_empty() {
                errors.push(format!(
                    "{path}: raci needs someone responsible and someone accountable"
                ));
            }
            if !p.sources.iter().any(|s| s.url.starts_with("https://")) {
                errors.push(format!(
                    "{path}: cite at least one source with an https:// URL"
                ));
            }
            if p.summary.trim().is_empty() {
                errors.push(format!("{path}: summary is empty"));
            }
            for part in &p.parts {
                errors.extend(dead_links(&path, &part.html, &pages, &templates));
            }
        }
        for t in &self.templates {
            let path = format!("templates/{}.md", t.slug);
            check_refs(&mut errors, &path, "guide page", &t.guide, &pages);
            let mut names = HashSet::new();
            for f in &t.fields {
                if !names.insert(f.name.as_str()) {
                    errors.push(format!("{path}: field {:?} declared twice", f.name));
                }
                if f.kind == FieldKind::Select && f.options.is_empty() {
                    errors.push(format!("{path}: select field {:?} has no options", f.name));
                }
            }
            if let Err(e) = super::fill::check_template(t) {
                errors.push(format!("{path}: {e}"));
            }
        }
        for p in &self.problems {
            let path = format!("problems/{}.md", p.id);
            check_refs(&mut errors, &path, "guide page", &p.guide, &pages);
            check_refs(&mut errors, &path, "template", &p.templates, &templates);
            for c in &p.capabilities {
                if !CAPABILITIES.contains(&c.as_str()) {
                    errors.push(format!("{path}: unknown capability {c:?}"));
                }
            }
        }
        errors
    }

    pub fn page(&self, slug: &str) -> Option<&GuidePage> {
        self.pages.iter().find(|p| p.slug == slug)
    }

    pub fn template(&self, slug: &str) -> Option<&DocTemplate> {
        self.templates.iter().find(|t| t.slug == slug)
    }

    pub fn problem(&self, id: &str) -> Option<&Problem> {
        self.problems.iter().find(|p| p.id == id)
    }

    pub fn pages_in(&self, section: Section) -> impl Iterator<Item = &GuidePage> {
        self.pages.iter().filter(move |p| p.section == section)
    }

    /// Problems that name a guide page among their answers.
    pub fn problems_answered_by_page(&self, slug: &str) -> Vec<&Problem> {
        self.problems
            .iter()
            .filter(|p| p.guide.iter().any(|g| g == slug))
            .collect()
    }

    /// Guide pages that link a template, by template slug.
    pub fn pages_using_template(&self) -> BTreeMap<&str, Vec<&GuidePage>> {
        let mut map: BTreeMap<&str, Vec<&GuidePage>> = BTreeMap::new();
        for p in &self.pages {
            for t in &p.templates {
                map.entry(t.as_str()).or_default().push(p);
            }
        }
        map
    }
}

/// Splits a page body into its five parts and checks their headings.
fn page_parts(body: &str) -> Result<Vec<PagePart>, String> {
    let mut parts: Vec<(String, String)> = Vec::new();
    let mut preamble = String::new();
    for line in body.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            parts.push((h.trim().to_owned(), String::new()));
        } else if let Some((_, text)) = parts.last_mut() {
            text.push_str(line);
            text.push('\n');
        } else {
            preamble.push_str(line);
        }
    }
    if !preamble.trim().is_empty() {
        return Err("text before the first ## heading".into());
    }
    let headings: Vec<&str> = parts.iter().map(|(h, _)| h.as_str()).collect();
    if headings != PAGE_HEADINGS {
        return Err(format!(
            "headings must be exactly {PAGE_HEADINGS:?} in that order, found {headings:?}"
        ));
    }
    let mut out = Vec::new();
    for (heading, text) in parts {
        if markdown::to_plain_text(&text).split_whitespace().count() < 20 {
            return Err(format!("section {heading:?} has almost no content"));
        }
        out.push(PagePart {
            id: markdown::slugify(&heading),
            html: markdown::to_html(&text),
            heading,
        });
    }
    Ok(out)
}

/// Internal links in rendered HTML that point at guide pages or templates that do not exist.
fn dead_links(
    path: &str,
    html: &str,
    pages: &HashSet<&str>,
    templates: &HashSet<&str>,
) -> Vec<String> {
    let mut errors = Vec::new();
    for chunk in html.split("href=\"").skip(1) {
        let Some(href) = chunk.split('"').next() else {
            continue;
        };
        let href = href.split('#').next().unwrap_or(href);
        if let Some(slug) = href.strip_prefix("/guide/") {
            if !slug.starts_with("sections/") && !pages.contains(slug) {
                errors.push(format!("{path}: link to missing guide page {href}"));
            }
        } else if let Some(slug) = href.strip_prefix("/templates/")
            && !templates.contains(slug)
        {
            errors.push(format!("{path}: link to missing template {href}"));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "+++
title = \"T\"
section = \"strategy\"
order = 1
summary = \"S\"
[raci]
responsible = [\"procurement\"]
accountable = [\"cio-cdo\"]
[[sources]]
title = \"Act\"
url = \"https://www.legislation.gov.uk/ukpga/2023/54\"
+++
## What is it?
one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty.
## Why does it matter?
one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty.
## Who should do it?
one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty.
## How should you do it?
one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty.
## Do it with other boroughs
one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty [link](/guide/nowhere).
";

    #[test]
    fn reports_dead_links_and_bad_headings() {
        let err = Content::from_files(&[("guide/a.md", PAGE)]).unwrap_err();
        assert!(
            err.0
                .iter()
                .any(|e| e.contains("missing guide page /guide/nowhere")),
            "{err}"
        );
        let swapped = PAGE.replace("## Why does it matter?", "## Why it matters");
        let err = Content::from_files(&[("guide/a.md", &swapped)]).unwrap_err();
        assert!(
            err.0.iter().any(|e| e.contains("headings must be exactly")),
            "{err}"
        );
        let ok = PAGE.replace("[link](/guide/nowhere)", "[link](/guide/a)");
        let content = Content::from_files(&[("guide/a.md", &ok)]).unwrap();
        assert_eq!(content.pages[0].parts.len(), 5);
    }

    #[test]
    fn raci_rows_list_each_role_once() {
        let raci = Raci {
            responsible: vec![RaciRole::Procurement],
            accountable: vec![RaciRole::CioCdo],
            consulted: vec![RaciRole::Procurement],
            informed: vec![],
        };
        assert_eq!(
            raci.rows(),
            vec![
                (
                    "Procurement and commercial",
                    "Responsible, Consulted".to_string()
                ),
                ("CIO or CDO", "Accountable".to_string())
            ]
        );
    }
}
