//! What an officer typed into a contract form, kept to show back, and the small parsers every
//! contract form shares (text lengths, GOV.UK date inputs, owners, choices).

use std::str::FromStr;

use chrono::NaiveDate;

use crate::contracts::store::Owner;
use crate::guide::fill::parse_date_parts;
use crate::pipeline::store::Person;
use crate::web::form::{Errors, Fields};

/// A form's fields by name, as typed (or as a record is, for an edit form).
#[derive(Debug, Clone, Default)]
pub struct FormData(Vec<(String, String)>);

impl FormData {
    pub fn from_fields(f: &Fields) -> FormData {
        FormData(f.0.clone())
    }

    /// The trimmed value of a field; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.0.retain(|(k, _)| k != name);
        self.0.push((name.to_owned(), value.into()));
    }

    pub fn with(mut self, name: &str, value: impl Into<String>) -> FormData {
        self.set(name, value);
        self
    }

    /// Sets the three boxes of a GOV.UK date input.
    pub fn with_date(mut self, name: &str, d: Option<NaiveDate>) -> FormData {
        let [day, month, year] = match d {
            Some(d) => [
                d.format("%-d").to_string(),
                d.format("%-m").to_string(),
                d.format("%Y").to_string(),
            ],
            None => Default::default(),
        };
        self.set(&format!("{name}-day"), day);
        self.set(&format!("{name}-month"), month);
        self.set(&format!("{name}-year"), year);
        self
    }

    /// The day, month and year boxes of a date input, for the template macro.
    pub fn parts(&self, name: &str) -> [String; 3] {
        ["day", "month", "year"].map(|p| self.get(&format!("{name}-{p}")).to_owned())
    }

    pub fn is(&self, name: &str, value: &str) -> bool {
        self.get(name) == value
    }
}

/// Options for a select or radios: (value, label).
pub type Options = Vec<(String, String)>;

pub fn options<T: Copy>(
    all: &[T],
    value: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Options {
    all.iter()
        .map(|v| (value(*v).to_owned(), label(*v).to_owned()))
        .collect()
}

/// A text field: required or not, at most `max` characters.
pub fn text(
    v: &FormData,
    name: &str,
    label: &str,
    max: usize,
    required: bool,
    e: &mut Errors,
) -> String {
    let s = v.get(name);
    if s.is_empty() {
        if required {
            e.add(name, format!("Enter {}", label_lower(label)));
        }
    } else if s.chars().count() > max {
        e.add(
            name,
            format!("{label} must be {} characters or fewer", thousands(max)),
        );
    }
    s.to_owned()
}

fn label_lower(label: &str) -> String {
    let mut c = label.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn thousands(n: usize) -> String {
    crate::web::filters::pounds(n as i64)
        .trim_start_matches('£')
        .to_owned()
}

/// A GOV.UK date input (`name-day`, `name-month`, `name-year`); errors go on `name-day`.
pub fn date(
    v: &FormData,
    name: &str,
    label: &str,
    required: bool,
    e: &mut Errors,
) -> Option<NaiveDate> {
    let [d, m, y] = v.parts(name);
    if d.is_empty() && m.is_empty() && y.is_empty() && !required {
        return None;
    }
    match parse_date_parts(label, &d, &m, &y) {
        Ok(date) => Some(date),
        Err(msg) => {
            e.add(format!("{name}-day"), msg);
            None
        }
    }
}

/// A choice from a closed set; `message` when it is missing or not one of them.
pub fn choice<T: FromStr>(v: &FormData, name: &str, message: &str, e: &mut Errors) -> Option<T> {
    match v.get(name).parse::<T>() {
        Ok(t) => Some(t),
        Err(_) => {
            e.add(name, message);
            None
        }
    }
}

/// Someone of the organisation ("" for nobody), checked against its people.
pub fn person(v: &FormData, name: &str, people: &[Person], e: &mut Errors) -> Option<i64> {
    match v.get(name) {
        "" => None,
        s => match s
            .parse::<i64>()
            .ok()
            .filter(|id| people.iter().any(|p| p.id == *id))
        {
            Some(id) => Some(id),
            None => {
                e.add(name, "Choose someone from your organisation");
                None
            }
        },
    }
}

/// Who owns a piece of work: someone of the organisation, the supplier, or nobody yet.
pub fn owner(v: &FormData, name: &str, people: &[Person], e: &mut Errors) -> Owner {
    match v.get(name) {
        "supplier" => Owner::Supplier,
        "" => Owner::Nobody,
        _ => person(v, name, people, e)
            .map(Owner::Person)
            .unwrap_or(Owner::Nobody),
    }
}

pub fn people_options(people: &[Person]) -> Options {
    people
        .iter()
        .map(|p| (p.id.to_string(), p.name.clone()))
        .collect()
}
