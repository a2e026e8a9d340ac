//! One row of a spend file: a payment, or something else (a blank line, a total, a footer, a
//! broken line), decided by general rules rather than by knowing the publisher.

use chrono::NaiveDate;
use serde::Serialize;

use super::dates::DateFormat;
use super::layout::{Field, ImportKind, Mapping, is_null};
use crate::money::Pence;
use crate::suppliers::{CompanyNumber, VatNumber, is_redacted};

/// Why a row was not imported. Serialised names are the keys of `rows_skipped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Skip {
    /// Nothing in it but separators and spaces.
    Blank,
    /// A total, sub-total or footer sum.
    Total,
    /// Text that is neither a payment nor a total (a note, a stray "xxx").
    NotATransaction,
    /// A payment row whose date or amount is missing or unreadable, or that is cut short.
    Broken,
    /// The same payment is already in the database (this file, or an overlapping one, was
    /// imported before).
    AlreadyImported,
}

impl Skip {
    pub const ALL: [Skip; 5] = [
        Skip::Blank,
        Skip::Total,
        Skip::NotATransaction,
        Skip::Broken,
        Skip::AlreadyImported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Skip::Blank => "blank",
            Skip::Total => "total",
            Skip::NotATransaction => "not_a_transaction",
            Skip::Broken => "broken",
            Skip::AlreadyImported => "already_imported",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Skip::Blank => "Blank rows",
            Skip::Total => "Totals and footers",
            Skip::NotATransaction => "Other text (not payments)",
            Skip::Broken => "Broken rows",
            Skip::AlreadyImported => "Already imported",
        }
    }
}

/// Who was paid, as far as the file says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payee {
    Named(String),
    /// Withheld to protect an individual ("REDACTED UNDER DP ACT"): spend, but no supplier.
    Redacted(String),
    /// The payee cell is empty.
    Unnamed,
}

/// A row that is a payment, with its cells read.
#[derive(Debug, Clone)]
pub struct Payment<'a> {
    /// `None` in a supplier-totals file (the period comes from the import).
    pub date: Option<NaiveDate>,
    pub amount: Pence,
    pub payee: Payee,
    pub company_number: Option<CompanyNumber>,
    pub vat_number: Option<VatNumber>,
    pub transaction: Option<&'a str>,
    pub expense: Option<&'a str>,
    pub classification: Option<&'a str>,
    pub service: Option<&'a str>,
    pub body_name: Option<&'a str>,
    pub body_code: Option<&'a str>,
}

#[derive(Debug)]
pub enum Outcome<'a> {
    Payment {
        payment: Payment<'a>,
        repaired: bool,
    },
    Skipped(Skip),
    Broken(String),
}

const TOTAL_LABELS: &[&str] = &[
    "total",
    "totals",
    "grand total",
    "sub total",
    "subtotal",
    "sub-total",
    "overall total",
    "total spend",
    "total amount",
];

fn is_total_label(cell: &str) -> bool {
    let c = cell.trim().trim_end_matches(':').trim().to_lowercase();
    TOTAL_LABELS.contains(&c.as_str())
}

fn blank(cell: &str) -> bool {
    !cell.chars().any(char::is_alphanumeric)
}

/// Reads rows with one file's mapping.
pub struct RowReader {
    kind: ImportKind,
    header_len: usize,
    date_format: DateFormat,
    date: Option<usize>,
    amount: usize,
    supplier: usize,
    transaction: Option<usize>,
    expense: Option<usize>,
    classification: Option<usize>,
    service: Option<usize>,
    body_name: Option<usize>,
    body_code: Option<usize>,
    company_number: Option<usize>,
    vat_number: Option<usize>,
}

impl RowReader {
    pub fn new(m: &Mapping) -> Option<RowReader> {
        Some(RowReader {
            kind: m.kind,
            header_len: m.headers.len(),
            date_format: m.date_format.unwrap_or(DateFormat::Iso),
            date: m.index(Field::Date),
            amount: m.index(Field::Amount)?,
            supplier: m.index(Field::Supplier)?,
            transaction: m.index(Field::TransactionId),
            expense: m.index(Field::ExpenseType),
            classification: m.index(Field::Classification),
            service: m.index(Field::ServiceArea),
            body_name: m.index(Field::BodyName),
            body_code: m.index(Field::Body),
            company_number: m.index(Field::CompanyNumber),
            vat_number: m.index(Field::VatNumber),
        })
    }

    /// Classifies one row. `repair` receives the row's cells with two run-together cells
    /// pulled apart, when that is what is wrong with it.
    pub fn read<'a>(&self, cells: &'a [&'a str], repair: &'a mut Vec<String>) -> Outcome<'a> {
        if cells.iter().all(|c| blank(c)) {
            return Outcome::Skipped(Skip::Blank);
        }
        let mut repaired = false;
        let cells: Vec<&'a str> = if self.date.is_some()
            && cells.len() + 1 == self.header_len
            && let Some(fixed) = self.split_fused(cells)
        {
            *repair = fixed;
            repaired = true;
            repair.iter().map(String::as_str).collect()
        } else {
            cells.to_vec()
        };
        let cell = |i: Option<usize>| -> &'a str {
            i.and_then(|i| cells.get(i).copied()).unwrap_or("").trim()
        };
        let opt = |i: Option<usize>| -> Option<&'a str> {
            let v = cell(i);
            (!is_null(v)).then_some(v)
        };
        let date_raw = cell(self.date);
        let amount_raw = cell(Some(self.amount));
        let payee_raw = cell(Some(self.supplier));
        let date = if self.date.is_some() && !date_raw.is_empty() {
            self.date_format.parse(date_raw)
        } else {
            None
        };
        let totals_file = self.kind == ImportKind::SupplierTotals;
        if (totals_file || date.is_none()) && cells.iter().any(|c| is_total_label(c)) {
            return Outcome::Skipped(Skip::Total);
        }
        if totals_file {
            if payee_raw.is_empty() && !amount_raw.is_empty() {
                return Outcome::Skipped(Skip::Total);
            }
            if amount_raw.is_empty() {
                return Outcome::Skipped(Skip::NotATransaction);
            }
        } else {
            if date_raw.is_empty() && payee_raw.is_empty() && !amount_raw.is_empty() {
                return Outcome::Skipped(Skip::Total);
            }
            if date_raw.is_empty() && amount_raw.is_empty() {
                return Outcome::Skipped(Skip::NotATransaction);
            }
        }
        let short = cells.len() <= self.amount.max(self.date.unwrap_or(0));
        if !totals_file && date.is_none() {
            return Outcome::Broken(if short {
                format!(
                    "the row has {} cells where the header has {}",
                    cells.len(),
                    self.header_len
                )
            } else if date_raw.is_empty() {
                "no date".into()
            } else {
                format!(
                    "the date {date_raw:?} is not a {}",
                    self.date_format.describe()
                )
            });
        }
        let amount = match Pence::parse_published(amount_raw) {
            Ok(a) => a,
            Err(_) if short => {
                return Outcome::Broken(format!(
                    "the row has {} cells where the header has {}",
                    cells.len(),
                    self.header_len
                ));
            }
            Err(e) => return Outcome::Broken(format!("the amount: {e}")),
        };
        let payee = payee(payee_raw);
        let named = matches!(payee, Payee::Named(_));
        Outcome::Payment {
            payment: Payment {
                date,
                amount,
                payee,
                company_number: named
                    .then(|| opt(self.company_number))
                    .flatten()
                    .and_then(|v| CompanyNumber::parse(v).ok()),
                vat_number: named
                    .then(|| opt(self.vat_number))
                    .flatten()
                    .and_then(|v| VatNumber::parse(v).ok()),
                transaction: opt(self.transaction),
                expense: opt(self.expense),
                classification: opt(self.classification),
                service: opt(self.service),
                body_name: opt(self.body_name),
                body_code: opt(self.body_code),
            },
            repaired,
        }
    }

    /// A row one cell short because two neighbouring cells ran together: a date and the
    /// amount after it ("25/06/2012900"), or a name and the date after it
    /// ("Catch2212/06/2012"). The longest date that leaves a sensible remainder wins.
    fn split_fused(&self, cells: &[&str]) -> Option<Vec<String>> {
        let d = self.date?;
        let fmt = self.date_format;
        let rebuild = |at: usize, a: &str, b: &str| {
            let mut v: Vec<String> = Vec::with_capacity(cells.len() + 1);
            v.extend(cells[..at].iter().map(|c| (*c).to_owned()));
            v.push(a.trim().to_owned());
            v.push(b.trim().to_owned());
            v.extend(cells[at + 1..].iter().map(|c| (*c).to_owned()));
            v
        };
        if self.amount == d + 1
            && let Some(c) = cells.get(d)
        {
            let c = c.trim();
            if fmt.parse(c).is_none() {
                let cuts: Vec<usize> = c.char_indices().map(|(i, _)| i).skip(1).collect();
                for &k in cuts.iter().rev() {
                    if fmt.parse(&c[..k]).is_some() && Pence::parse_published(&c[k..]).is_ok() {
                        return Some(rebuild(d, &c[..k], &c[k..]));
                    }
                }
            }
        }
        if d >= 1
            && let Some(c) = cells.get(d - 1)
        {
            let c = c.trim();
            for (k, _) in c.char_indices().skip(1) {
                let (name, date) = c.split_at(k);
                if fmt.parse(date).is_some() && name.chars().any(char::is_alphabetic) {
                    return Some(rebuild(d - 1, name, date));
                }
            }
        }
        None
    }
}

/// The payee as the file names it, tidied: spaces collapsed, and a card terminal's number in
/// front of a merchant's name dropped ("43024700 Costa Coffee").
pub fn payee(raw: &str) -> Payee {
    let collapsed: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() || is_null(&collapsed) {
        return Payee::Unnamed;
    }
    if is_redacted(&collapsed) {
        return Payee::Redacted(collapsed);
    }
    if let Some((first, rest)) = collapsed.split_once(' ')
        && first.len() >= 6
        && first.bytes().all(|b| b.is_ascii_digit())
        && rest.chars().any(char::is_alphabetic)
    {
        return Payee::Named(rest.to_owned());
    }
    Payee::Named(collapsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spend::layout::{Overrides, infer};

    fn reader(header: &str, sample: &[&str]) -> RowReader {
        let h: Vec<String> = header.split(',').map(str::to_owned).collect();
        let s: Vec<Vec<String>> = sample
            .iter()
            .map(|r| r.split(',').map(str::to_owned).collect())
            .collect();
        RowReader::new(&infer(0, &h, &s, &Overrides::default()).unwrap()).unwrap()
    }

    fn outcome(r: &RowReader, row: &str) -> String {
        let cells: Vec<&str> = row.split(',').collect();
        let mut buf = Vec::new();
        match r.read(&cells, &mut buf) {
            Outcome::Payment { payment, repaired } => format!(
                "{} {} {:?}{}",
                payment.date.map(|d| d.to_string()).unwrap_or_default(),
                payment.amount.0,
                payment.payee,
                if repaired { " repaired" } else { "" }
            ),
            Outcome::Skipped(s) => s.as_str().to_owned(),
            Outcome::Broken(why) => format!("broken: {why}"),
        }
    }

    #[test]
    fn rows_that_are_not_payments() {
        let r = reader(
            "Body,Department,Supplier Name,Invoice Creation Date,Invoice Nett Amount,Subj Description",
            &["Lambeth,Adults,A Ltd,08/06/2012,1534.24,X"; 5],
        );
        assert_eq!(outcome(&r, ",,,,,"), "blank");
        assert_eq!(outcome(&r, ",\u{2020} \u{2020} ,,,,"), "blank");
        assert_eq!(outcome(&r, "Total,,,,40292334.84,"), "total");
        assert_eq!(outcome(&r, ",,,,88623833.53,"), "total");
        assert_eq!(outcome(&r, ",,xxx,,,"), "not_a_transaction");
        assert_eq!(
            outcome(&r, "Lambeth,Adults,Total Hygiene Ltd,08/06/2012,566,X"),
            "2012-06-08 56600 Named(\"Total Hygiene Ltd\")",
            "a supplier whose name starts with Total is not a total"
        );
        assert!(outcome(&r, "Lambeth,Adults,A Ltd,31/13/2012,5,X").starts_with("broken: the date"));
        assert!(
            outcome(&r, "Lambeth,Adults,A Ltd,08/06/2012,N/A,X").starts_with("broken: the amount")
        );
    }

    #[test]
    fn run_together_cells_are_pulled_apart() {
        let r = reader(
            "Body,Department,Supplier Name,Invoice Creation Date,Invoice Nett Amount,Subj Description",
            &["Lambeth,Adults,A Ltd,08/06/2012,1534.24,X"; 5],
        );
        assert_eq!(
            outcome(&r, "Lambeth,CYPS,A A GuestHouses,25/06/2012900,CARE"),
            "2012-06-25 90000 Named(\"A A GuestHouses\") repaired"
        );
        assert_eq!(
            outcome(&r, "Lambeth,CYPS,Abbey Law,11/06/2012579.6,FEES"),
            "2012-06-11 57960 Named(\"Abbey Law\") repaired"
        );
        assert_eq!(
            outcome(&r, "Lambeth,CYPS,Catch2212/06/2012,8755.20,HOUSING"),
            "2012-06-12 875520 Named(\"Catch22\") repaired"
        );
        assert!(
            outcome(
                &r,
                "Lambeth,CYPS,Inter High Education/Academy2129/05/2012740,FEES"
            )
            .starts_with("broken: the row has 4 cells")
        );
    }

    #[test]
    fn payees() {
        assert_eq!(
            payee("43024700 Costa Coffee"),
            Payee::Named("Costa Coffee".into())
        );
        assert_eq!(
            payee("170 Community Project"),
            Payee::Named("170 Community Project".into())
        );
        assert_eq!(
            payee("FRIENDS OF THE HURST      "),
            Payee::Named("FRIENDS OF THE HURST".into())
        );
        assert!(matches!(payee("REDACTED UNDER DP ACT"), Payee::Redacted(_)));
        assert_eq!(payee("  "), Payee::Unnamed);
        assert_eq!(payee("NA"), Payee::Unnamed);
    }
}
