//! Templates as no-code tools: an officer fills in a form, gets a document. Each field kind is
//! parsed once here, with the GOV.UK error messages; the document is the template's MiniJinja
//! body rendered to Markdown, which becomes .docx or .md.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use minijinja::{Environment, UndefinedBehavior, Value};

use super::content::{DocTemplate, Field, FieldKind};
use crate::web::filters::long_date;
use crate::web::form::{Errors, Fields};

/// A London authority as offered in template forms.
#[derive(Debug, Clone)]
pub struct AuthorityChoice {
    pub gss_code: String,
    pub name: String,
}

/// What the officer typed, kept as typed so a form with errors is shown back unchanged.
#[derive(Debug, Clone, Default)]
pub struct RawValues(pub BTreeMap<String, Vec<String>>);

impl RawValues {
    pub fn from_fields(template: &DocTemplate, fields: &Fields) -> RawValues {
        let mut map = BTreeMap::new();
        for f in &template.fields {
            let values: Vec<String> = match f.kind {
                FieldKind::Date => ["day", "month", "year"]
                    .iter()
                    .map(|part| fields.get(&format!("{}-{part}", f.name)).to_owned())
                    .collect(),
                FieldKind::Authorities => {
                    fields.all(&f.name).into_iter().map(str::to_owned).collect()
                }
                _ => vec![fields.get(&f.name).to_owned()],
            };
            map.insert(f.name.clone(), values);
        }
        RawValues(map)
    }

    /// Starting values for a new form: the template's defaults, and the officer's authority.
    pub fn defaults(template: &DocTemplate, own_gss: Option<&str>) -> RawValues {
        let mut map = BTreeMap::new();
        for f in &template.fields {
            let v = match f.kind {
                FieldKind::Authority => own_gss.unwrap_or("").to_owned(),
                _ => f.default.clone(),
            };
            let values = match f.kind {
                FieldKind::Date => vec![String::new(); 3],
                FieldKind::Authorities => Vec::new(),
                _ => vec![v],
            };
            map.insert(f.name.clone(), values);
        }
        RawValues(map)
    }

    /// Values given in a link (`/templates/x?lead=E09000007&partners=…`) over the defaults,
    /// for declared fields only: other tools open a template already filled in.
    pub fn overlay(mut self, template: &DocTemplate, fields: &Fields) -> RawValues {
        let given = RawValues::from_fields(template, fields);
        for f in &template.fields {
            let present = match f.kind {
                FieldKind::Date => ["day", "month", "year"].iter().any(|p| {
                    fields
                        .0
                        .iter()
                        .any(|(k, _)| *k == format!("{}-{p}", f.name))
                }),
                _ => fields.0.iter().any(|(k, _)| *k == f.name),
            };
            if present && let Some(v) = given.0.get(&f.name) {
                self.0.insert(f.name.clone(), v.clone());
            }
        }
        self
    }

    pub fn first(&self, name: &str) -> &str {
        self.0
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
            .unwrap_or("")
    }

    pub fn nth(&self, name: &str, i: usize) -> &str {
        self.0
            .get(name)
            .and_then(|v| v.get(i))
            .map(String::as_str)
            .unwrap_or("")
    }

    pub fn contains(&self, name: &str, value: &str) -> bool {
        self.0
            .get(name)
            .is_some_and(|v| v.iter().any(|x| x == value))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".into())
    }

    pub fn from_json(s: &str) -> RawValues {
        RawValues(serde_json::from_str(s).unwrap_or_default())
    }
}

/// Parses `2026-03-12`-style parts (day, month, year) into a date, with GOV.UK's messages.
pub fn parse_date_parts(
    label: &str,
    day: &str,
    month: &str,
    year: &str,
) -> Result<NaiveDate, String> {
    if day.is_empty() && month.is_empty() && year.is_empty() {
        return Err(format!("Enter {}", label.to_lowercase()));
    }
    let missing: Vec<&str> = [("a day", day), ("a month", month), ("a year", year)]
        .iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(n, _)| *n)
        .collect();
    if !missing.is_empty() {
        return Err(format!("{label} must include {}", missing.join(" and ")));
    }
    let (Ok(d), Ok(m), Ok(y)) = (
        day.parse::<u32>(),
        month.parse::<u32>(),
        year.parse::<i32>(),
    ) else {
        return Err(format!("{label} must be a real date"));
    };
    if !(1900..=2200).contains(&y) {
        return Err(format!("{label} must include a 4-digit year, like 2026"));
    }
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| format!("{label} must be a real date"))
}

/// Parses an amount of money as people type it: "£250,000", "250000", "1,234.50".
/// Returns pence.
pub fn parse_money(s: &str) -> Option<i64> {
    let cleaned: String = s
        .trim()
        .trim_start_matches('£')
        .chars()
        .filter(|c| *c != ',' && !c.is_whitespace())
        .collect();
    if cleaned.is_empty() || cleaned.starts_with('-') {
        return None;
    }
    let (pounds, pence) = match cleaned.split_once('.') {
        Some((p, d)) if d.len() <= 2 && !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()) => {
            (p, format!("{d:0<2}").parse::<i64>().ok()?)
        }
        Some(_) => return None,
        None => (cleaned.as_str(), 0),
    };
    if pounds.is_empty() || !pounds.chars().all(|c| c.is_ascii_digit()) || pounds.len() > 13 {
        return None;
    }
    Some(pounds.parse::<i64>().ok()? * 100 + pence)
}

fn money_text(pence: i64) -> String {
    let pounds = crate::web::filters::pounds(pence / 100);
    if pence % 100 == 0 {
        pounds
    } else {
        format!("{pounds}.{:02}", pence % 100)
    }
}

/// Checks the raw values and builds the context the template body sees. Every declared field
/// is present in the context (empty when optional and not given), so bodies can test them
/// with `{% if %}` and a misspelt name fails loudly in the content tests.
pub fn validate(
    template: &DocTemplate,
    raw: &RawValues,
    authorities: &[AuthorityChoice],
    today: NaiveDate,
) -> Result<BTreeMap<String, Value>, Errors> {
    let mut errors = Errors::default();
    let mut ctx = BTreeMap::new();
    for f in &template.fields {
        let id = field_id(f);
        let first = raw.first(&f.name);
        let value: Value = match f.kind {
            FieldKind::Text | FieldKind::Textarea => {
                if f.required && first.is_empty() {
                    errors.add(id, format!("Enter {}", f.label.to_lowercase()));
                } else if first.chars().count() > 10_000 {
                    errors.add(
                        id,
                        format!("{} must be 10,000 characters or fewer", f.label),
                    );
                }
                Value::from(first)
            }
            FieldKind::Select => {
                if first.is_empty() {
                    if f.required {
                        errors.add(id, format!("Select {}", f.label.to_lowercase()));
                    }
                } else if !f.options.iter().any(|o| o == first) {
                    errors.add(
                        id,
                        format!("Select one of the options for {}", f.label.to_lowercase()),
                    );
                }
                Value::from(first)
            }
            FieldKind::Number => {
                if first.is_empty() {
                    if f.required {
                        errors.add(id, format!("Enter {}", f.label.to_lowercase()));
                    }
                } else if first.parse::<u64>().is_err() {
                    errors.add(id, format!("{} must be a whole number, like 12", f.label));
                }
                Value::from(first)
            }
            FieldKind::Money => {
                if first.is_empty() {
                    if f.required {
                        errors.add(id, format!("Enter {}", f.label.to_lowercase()));
                    }
                    Value::from("")
                } else {
                    match parse_money(first) {
                        Some(p) => Value::from(money_text(p)),
                        None => {
                            errors.add(
                                id,
                                format!("{} must be an amount in pounds, like £250,000", f.label),
                            );
                            Value::from("")
                        }
                    }
                }
            }
            FieldKind::Date => {
                let (d, m, y) = (
                    raw.nth(&f.name, 0),
                    raw.nth(&f.name, 1),
                    raw.nth(&f.name, 2),
                );
                if !f.required && d.is_empty() && m.is_empty() && y.is_empty() {
                    Value::from("")
                } else {
                    match parse_date_parts(&f.label, d, m, y) {
                        Ok(date) => Value::from(long_date(date)),
                        Err(e) => {
                            errors.add(id, e);
                            Value::from("")
                        }
                    }
                }
            }
            FieldKind::Authority => {
                if first.is_empty() {
                    if f.required {
                        errors.add(id, format!("Select {}", f.label.to_lowercase()));
                    }
                    Value::from("")
                } else {
                    match authorities.iter().find(|a| a.gss_code == first) {
                        Some(a) => Value::from(a.name.as_str()),
                        None => {
                            errors.add(
                                id,
                                format!("Select a London authority for {}", f.label.to_lowercase()),
                            );
                            Value::from("")
                        }
                    }
                }
            }
            FieldKind::Authorities => {
                let chosen = raw.0.get(&f.name).cloned().unwrap_or_default();
                let mut names = Vec::new();
                for code in &chosen {
                    match authorities.iter().find(|a| &a.gss_code == code) {
                        Some(a) => names.push(a.name.clone()),
                        None => {
                            errors.add(
                                id.clone(),
                                format!(
                                    "Select London authorities from the list for {}",
                                    f.label.to_lowercase()
                                ),
                            );
                            break;
                        }
                    }
                }
                if f.required && chosen.is_empty() {
                    errors.add(
                        id,
                        format!(
                            "Select at least one authority for {}",
                            f.label.to_lowercase()
                        ),
                    );
                }
                Value::from(names)
            }
            FieldKind::List => {
                let items: Vec<String> = first
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|l| l.trim_start_matches(['-', '*', '•']).trim().to_owned())
                    .collect();
                if f.required && items.is_empty() {
                    errors.add(
                        id,
                        format!("Enter at least one item for {}", f.label.to_lowercase()),
                    );
                }
                Value::from(items)
            }
        };
        ctx.insert(f.name.clone(), value);
    }
    ctx.insert("today".into(), Value::from(long_date(today)));
    if errors.is_empty() {
        Ok(ctx)
    } else {
        Err(errors)
    }
}

/// The id of the input an error links to (the day box for dates, the first box for lists).
pub fn field_id(f: &Field) -> String {
    match f.kind {
        FieldKind::Date => format!("{}-day", f.name),
        _ => f.name.clone(),
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Output is Markdown, not HTML: no auto-escaping (the Markdown renderer escapes).
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env
}

#[derive(Debug, thiserror::Error)]
#[error("template body: {0}")]
pub struct RenderError(String);

/// Renders a template body with a validated context, to Markdown.
pub fn render(
    template: &DocTemplate,
    ctx: &BTreeMap<String, Value>,
) -> Result<String, RenderError> {
    let env = environment();
    let tmpl = env
        .template_from_str(&template.body)
        .map_err(|e| RenderError(e.to_string()))?;
    let out = tmpl.render(ctx).map_err(|e| RenderError(e.to_string()))?;
    // Collapse the blank lines that `{% if %}` blocks leave behind.
    let mut md = String::with_capacity(out.len());
    let mut blank = 0;
    for line in out.lines() {
        if line.trim().is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        md.push_str(line.trim_end());
        md.push('\n');
    }
    Ok(md)
}

/// A sample value for each field kind, for checking that a template renders.
fn sample_context(template: &DocTemplate, empty: bool) -> BTreeMap<String, Value> {
    let mut ctx = BTreeMap::new();
    for f in &template.fields {
        let v = if empty && !f.required {
            match f.kind {
                FieldKind::Authorities | FieldKind::List => Value::from(Vec::<String>::new()),
                _ => Value::from(""),
            }
        } else {
            match f.kind {
                FieldKind::Authorities => Value::from(vec![
                    "London Borough of Camden".to_string(),
                    "London Borough of Hackney".to_string(),
                ]),
                FieldKind::List => {
                    Value::from(vec!["First item".to_string(), "Second item".to_string()])
                }
                FieldKind::Money => Value::from("£250,000"),
                FieldKind::Date => Value::from("12 March 2026"),
                FieldKind::Number => Value::from("3"),
                FieldKind::Authority => Value::from("London Borough of Lambeth"),
                FieldKind::Select => Value::from(f.options.first().cloned().unwrap_or_default()),
                FieldKind::Text | FieldKind::Textarea => Value::from(format!("Sample {}", f.label)),
            }
        };
        ctx.insert(f.name.clone(), v);
    }
    ctx.insert("today".into(), Value::from("1 April 2026"));
    ctx
}

/// The content check for a template: its body parses, uses only declared fields, and renders
/// both with every field filled and with only the required ones.
pub fn check_template(template: &DocTemplate) -> Result<(), String> {
    let env = environment();
    let tmpl = env
        .template_from_str(&template.body)
        .map_err(|e| format!("body does not parse: {e}"))?;
    let declared: Vec<&str> = template.fields.iter().map(|f| f.name.as_str()).collect();
    for name in tmpl.undeclared_variables(false) {
        if name != "today" && name != "loop" && !declared.contains(&name.as_str()) {
            return Err(format!("body uses {name:?}, which is not a declared field"));
        }
    }
    for empty in [false, true] {
        let md = render(template, &sample_context(template, empty)).map_err(|e| e.to_string())?;
        if md.trim().len() < 200 {
            return Err("body renders to almost nothing".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_as_people_type_it() {
        assert_eq!(parse_money("£250,000"), Some(25_000_000));
        assert_eq!(parse_money("250000"), Some(25_000_000));
        assert_eq!(parse_money(" 1,234.5 "), Some(123_450));
        assert_eq!(parse_money("1,234.56"), Some(123_456));
        for bad in ["", "-5", "£", "12.345", "1e6", "ten pounds", "1.2.3"] {
            assert_eq!(parse_money(bad), None, "{bad}");
        }
        assert_eq!(money_text(123_450), "£1,234.50");
        assert_eq!(money_text(25_000_000), "£250,000");
    }

    #[test]
    fn dates_with_govuk_messages() {
        assert_eq!(
            parse_date_parts("Start date", "12", "3", "2026").unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 12).unwrap()
        );
        assert_eq!(
            parse_date_parts("Start date", "", "", "").unwrap_err(),
            "Enter start date"
        );
        assert_eq!(
            parse_date_parts("Start date", "12", "", "").unwrap_err(),
            "Start date must include a month and a year"
        );
        assert_eq!(
            parse_date_parts("Start date", "31", "2", "2026").unwrap_err(),
            "Start date must be a real date"
        );
        assert_eq!(
            parse_date_parts("Start date", "1", "2", "26").unwrap_err(),
            "Start date must include a 4-digit year, like 2026"
        );
    }
}
