//! `procurekit import ocds` and `procurekit export ocds`.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::Utc;

use super::export::{self, Publisher};
use super::import::{self, ImportError, ImportReport, Input, Options};
use crate::accounts::store as accounts;
use crate::db::Db;

type CliResult = Result<(), Box<dyn std::error::Error>>;

/// `procurekit import ocds`
#[derive(clap::Args)]
pub struct OcdsImportArgs {
    /// Package files, or folders of .json files.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub paths: Vec<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Import the valid packages and list the invalid ones as skipped.
    #[arg(long)]
    pub skip_invalid: bool,
}

/// `procurekit export ocds`
#[derive(clap::Args)]
pub struct OcdsExportArgs {
    /// Only releases dated on or after this date (2020-01-31) or date-time.
    #[arg(long)]
    pub since: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The service's public address, for the package's links.
    #[arg(
        long,
        env = "PROCUREKIT_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,
    /// This service's registered OCDS ocid prefix (ocds-xxxxxx): with it, public procurements
    /// are exported too.
    #[arg(long, env = "PROCUREKIT_OCID_PREFIX")]
    pub ocid_prefix: Option<export::OcidPrefix>,
}

pub async fn import(db: &Db, args: OcdsImportArgs) -> CliResult {
    import_ocds(db, &args.paths, args.json, args.skip_invalid).await
}

pub async fn export(db: &Db, args: OcdsExportArgs) -> CliResult {
    export_ocds(
        db,
        args.since.as_deref(),
        args.out.as_deref(),
        &args.public_url,
        args.ocid_prefix.as_ref(),
    )
    .await
}

/// Files to read: a file as given, or a folder's `.json` files (sub-folders included), in
/// name order so that runs are repeatable. Anything else in a folder is reported, not read.
fn collect(paths: &[PathBuf], report: &mut ImportReport) -> Result<Vec<PathBuf>, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>, other: &mut Vec<PathBuf>) -> std::io::Result<()> {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            if p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                continue;
            }
            if p.is_dir() {
                walk(&p, out, other)?;
            } else if p
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("json"))
            {
                out.push(p);
            } else {
                other.push(p);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut other = Vec::new();
            walk(p, &mut files, &mut other)
                .map_err(|e| format!("cannot read folder {}: {e}", p.display()))?;
            for o in other {
                report.skip("Not a .json file (not read)", o.display().to_string());
            }
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            return Err(format!("{} does not exist", p.display()));
        }
    }
    Ok(files)
}

pub async fn import_ocds(db: &Db, paths: &[PathBuf], json: bool, skip_invalid: bool) -> CliResult {
    let mut pre = ImportReport::default();
    let files = collect(paths, &mut pre)?;
    if files.is_empty() {
        return Err("no .json files found to import".into());
    }
    let mut inputs = Vec::with_capacity(files.len());
    for f in &files {
        let bytes = std::fs::read(f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
        inputs.push(Input {
            name: f.display().to_string(),
            bytes,
        });
    }
    match import::import(db, inputs, Options { skip_invalid }).await {
        Ok(mut report) => {
            report.skipped.extend(pre.skipped);
            accounts::audit(
                db,
                None,
                "ocds_import",
                &format!(
                    "Imported {} OCDS file(s) from the command line: {} releases ({} new), {} notices ({} new, {} updated)",
                    report.files,
                    report.releases.read,
                    report.releases.new,
                    report.records.compiled,
                    report.records.new,
                    report.records.updated
                ),
                None,
            )
            .await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_report(&report);
            }
            Ok(())
        }
        Err(ImportError::Invalid(problems)) if json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "error": "some files are not valid OCDS 1.1 packages; nothing was imported (use --skip-invalid to import the rest)",
                    "invalid_files": problems,
                }))?
            );
            Err(format!("{} invalid file(s); nothing was imported", problems.len()).into())
        }
        Err(e @ ImportError::Invalid(_)) => Err(format!(
            "{e}\n(correct the files, or use --skip-invalid to import the others)"
        )
        .into()),
        Err(e) => Err(e.into()),
    }
}

fn print_report(r: &ImportReport) {
    println!(
        "Read {} file(s): {} release package(s), {} record package(s).",
        r.files, r.release_packages, r.record_packages
    );
    println!(
        "Releases: {} read, {} new, {} changed, {} already imported.",
        r.releases.read, r.releases.new, r.releases.changed, r.releases.unchanged
    );
    println!(
        "Notices (records): {} compiled, {} new, {} updated, {} unchanged.",
        r.records.compiled, r.records.new, r.records.updated, r.records.unchanged
    );
    println!(
        "Buyers: {} distinct, {} London authorities ({} notices), {} other UK councils.",
        r.buyers.distinct,
        r.buyers.london_authorities,
        r.buyers.records_with_london_buyer,
        r.buyers.other_councils
    );
    println!(
        "Suppliers: {} named on awards, {} with a company number, {} distinct in the register, {} new to it.",
        r.suppliers.parties,
        r.suppliers.with_company_number,
        r.suppliers.distinct,
        r.suppliers.new_to_register
    );
    if !r.skipped.is_empty() {
        println!("Not imported, or imported in part:");
        for s in &r.skipped {
            println!("  {} × {}", s.count, s.reason);
            for e in &s.examples {
                println!("      e.g. {e}");
            }
        }
    }
}

/// Writes every public release (from `since`) as one release package, to `out` or standard
/// output. A file is written beside its final name and then moved into place, so a failed
/// export never leaves half a file.
pub async fn export_ocds(
    db: &Db,
    since: Option<&str>,
    out: Option<&Path>,
    public_url: &str,
    prefix: Option<&export::OcidPrefix>,
) -> CliResult {
    let since = match since {
        None => None,
        Some(s) => Some(export::parse_since(s).ok_or_else(|| {
            format!("--since {s:?} is not a date (2020-01-31) or date-time (2020-01-31T09:00:00Z)")
        })?),
    };
    let mut releases = Vec::new();
    let mut after = None;
    let mut last_change = None;
    loop {
        let page = export::public_releases(db, prefix, since, after, export::MAX_PAGE).await?;
        releases.extend(page.releases);
        last_change = last_change.max(page.last_change);
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let base = public_url.trim_end_matches('/').to_owned();
    let uri = match since {
        Some(s) => format!(
            "{base}/api/v1/ocds/releases?since={}",
            crate::web::filters::urlencode(&export::date_time(s))
        ),
        None => format!("{base}/api/v1/ocds/releases"),
    };
    let count = releases.len();
    let package = export::release_package(
        &Publisher { base_url: base },
        &uri,
        last_change.unwrap_or_else(Utc::now),
        releases,
        None,
    );
    let text = serde_json::to_string_pretty(&package)?;
    match out {
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.write_all(b"\n")?;
        }
        Some(path) => {
            let tmp = path.with_extension("json.partial");
            std::fs::write(&tmp, text.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
            std::fs::rename(&tmp, path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            eprintln!("Wrote {count} release(s) to {}", path.display());
        }
    }
    Ok(())
}
