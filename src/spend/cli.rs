//! `procurekit import spend FILE…`: the command-line door to the importer.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use super::dates::DateFormat;
use super::import::{ImportError, ImportOptions, ImportSource, Report, import};
use super::layout::Overrides;
use super::period::Period;
use super::source::{Progress, inputs_from_path};
use crate::db::Db;

#[derive(clap::Args, Debug, Clone)]
pub struct SpendArgs {
    /// Spend files: CSV or TSV, or ZIP archives of them.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The body whose spend it is, when the file does not say: a GSS code (E09000022), an
    /// official name or a known variant ("Lambeth", "Bradford").
    #[arg(long, value_name = "CODE_OR_NAME")]
    pub body: Option<String>,
    /// Add --body as a new "other public body" (TfL, an NHS trust…) if no body matches.
    #[arg(long)]
    pub create_body: bool,
    /// Do everything but save: prints the same report.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the report as JSON (one object per file, in an array).
    #[arg(long)]
    pub json: bool,
    /// Say which column holds a field, overriding the guess: --map date="Paid Date".
    /// Fields: date, supplier, amount, transaction_id, expense_type, classification,
    /// service_area, body_name, body, company_number, vat_number. "-" means none.
    #[arg(long = "map", value_name = "FIELD=HEADER")]
    pub map: Vec<String>,
    /// The date layout, when the evidence is not enough: dmy, mdy, iso, dmony, excel.
    #[arg(long, value_name = "LAYOUT")]
    pub date_format: Option<String>,
    /// The period a supplier-totals file covers, when its name does not say: 2010-12,
    /// 2009-01..2009-03 or 2009-Q1.
    #[arg(long, value_name = "PERIOD")]
    pub period: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Usage(String),
    #[error("{failed} of {files} files were not imported (see above)")]
    SomeFailed { failed: usize, files: usize },
}

pub fn options(args: &SpendArgs) -> Result<ImportOptions, CliError> {
    let mut overrides = Overrides::default();
    for m in &args.map {
        overrides
            .map
            .push(Overrides::parse_map(m).map_err(CliError::Usage)?);
    }
    if let Some(f) = &args.date_format {
        overrides.date_format = Some(DateFormat::from_name(f).ok_or_else(|| {
            CliError::Usage(format!(
                "--date-format {f:?}: use dmy (17/08/2022), mdy (08/17/2022), iso (2022-08-17), dmony (17-Aug-22) or excel"
            ))
        })?);
    }
    let period = match &args.period {
        Some(p) => Some(Period::parse(p).map_err(|e| CliError::Usage(e.to_string()))?),
        None => None,
    };
    Ok(ImportOptions {
        body: args.body.clone(),
        create_body: args.create_body,
        dry_run: args.dry_run,
        overrides,
        period,
        source: ImportSource::Cli,
        ..ImportOptions::default()
    })
}

/// Imports every file, one transaction each, and prints a report per file.
pub async fn run(db: &Db, args: SpendArgs) -> Result<(), Box<dyn std::error::Error>> {
    let opts = options(&args)?;
    let show_progress = !args.json && std::io::stderr().is_terminal();
    let mut json: Vec<serde_json::Value> = Vec::new();
    let (mut files, mut failed) = (0, 0);
    for path in &args.files {
        let inputs = match inputs_from_path(path) {
            Ok(i) => i,
            Err(e) => {
                files += 1;
                failed += 1;
                report_error(
                    &args,
                    &mut json,
                    &path.display().to_string(),
                    &e.to_string(),
                );
                continue;
            }
        };
        for input in inputs {
            files += 1;
            let progress = Progress::default();
            let bar = show_progress.then(|| progress_bar(&input.name, input.size));
            let ticker = bar.clone().map(|bar| {
                let p = progress.clone();
                tokio::spawn(async move {
                    loop {
                        bar.set_position(p.get());
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                })
            });
            let result = import(db, &input, &opts, progress).await;
            if let Some(t) = ticker {
                t.abort();
            }
            if let Some(b) = bar {
                b.finish_and_clear();
            }
            match result {
                Ok(r) => {
                    if args.json {
                        json.push(serde_json::to_value(&r)?);
                    } else {
                        print_report(&r);
                    }
                }
                Err(e) => {
                    failed += 1;
                    report_error(&args, &mut json, &input.name, &message(&e));
                }
            }
        }
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&json)?);
    }
    if failed > 0 {
        return Err(CliError::SomeFailed { failed, files }.into());
    }
    Ok(())
}

fn message(e: &ImportError) -> String {
    format!("{e}. Nothing from this file was saved.")
}

fn report_error(args: &SpendArgs, json: &mut Vec<serde_json::Value>, file: &str, e: &str) {
    if args.json {
        json.push(serde_json::json!({ "file": file, "error": e }));
    } else {
        eprintln!("error: {e}");
    }
}

fn progress_bar(name: &str, size: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(size),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(name.to_owned());
    bar
}

fn count(n: u64) -> String {
    crate::web::filters::pounds(n as i64)
        .trim_start_matches('£')
        .to_owned()
}

pub fn print_report(r: &Report) {
    let verb = if r.dry_run {
        "would be imported (dry run: nothing saved)"
    } else {
        "imported"
    };
    println!("{} → {}", r.file, r.body);
    let dates = match (r.first_date, r.last_date) {
        (Some(a), Some(b)) => format!(
            "{} to {}",
            crate::web::filters::long_date(a),
            crate::web::filters::long_date(b)
        ),
        _ => "no dates".into(),
    };
    println!(
        "  {} {} {verb}; the file's payments total {}, {dates}, {} suppliers",
        count(r.rows_imported),
        if r.kind == super::layout::ImportKind::SupplierTotals {
            "supplier totals"
        } else {
            "payments"
        },
        crate::money::Pence(r.total_pence).display_exact(),
        count(r.distinct_suppliers)
    );
    let skipped: Vec<String> = r
        .rows_skipped
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{} {}", count(*n), k.replace('_', " ")))
        .collect();
    if !skipped.is_empty() {
        println!("  skipped: {}", skipped.join(", "));
    }
    if r.rows_repaired > 0 {
        println!(
            "  repaired: {} rows whose cells had run together",
            count(r.rows_repaired)
        );
    }
    if r.redacted_rows > 0 || r.unnamed_rows > 0 {
        println!(
            "  kept without a supplier: {} redacted, {} with no payee",
            count(r.redacted_rows),
            count(r.unnamed_rows)
        );
    }
    println!(
        "  read as {}, {}-separated, header on line {}",
        r.encoding, r.delimiter, r.header_line
    );
    let cols: Vec<String> = r
        .mapping
        .iter()
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect();
    println!("  columns: {}", cols.join(", "));
    if let Some(f) = &r.date_format {
        println!(
            "  dates: {f}{}",
            if r.date_format_assumed {
                " (assumed: every date reads the same either way; use --date-format mdy if wrong)"
            } else {
                ""
            }
        );
    }
    if let Some(p) = &r.period {
        println!(
            "  period: {}{}",
            p.describe(),
            if r.period_from_file_name {
                " (from the file name; use --period to correct)"
            } else {
                ""
            }
        );
    }
    for p in &r.problems {
        println!("  line {}: {}", p.line, p.reason);
    }
    if r.more_problems > 0 {
        println!("  … and {} more problems", r.more_problems);
    }
}
