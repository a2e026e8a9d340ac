//! Real spend for the demo: a handful of the published files in tests/fixtures/spend, compiled
//! into the binary and imported in the background on first start, so a new user sees real
//! analysis at once without waiting for it (the server answers while the import runs).

use super::import::{ImportOptions, ImportSource, import};
use super::source::{Progress, inputs_from_bytes};
use crate::args;
use crate::db::Db;

struct DemoFile {
    name: &'static str,
    bytes: &'static [u8],
    body: Option<&'static str>,
}

macro_rules! fixture {
    ($name:literal, $body:expr) => {
        DemoFile {
            name: $name,
            bytes: include_bytes!(concat!("../../tests/fixtures/spend/", $name)),
            body: $body,
        }
    };
}

/// London first (Lambeth and the GLA), then councils elsewhere for comparison.
const FILES: &[DemoFile] = &[
    fixture!("lambeth_2012-06_invoices_over_500.csv", None),
    fixture!("lambeth_2010-12_supplier_totals.csv", Some("Lambeth")),
    fixture!(
        "lambeth_2011-11_supplier_totals_CR_line_endings.csv",
        Some("Lambeth")
    ),
    fixture!(
        "gla_greater_london_authority_2022-P13.csv",
        Some("Greater London Authority")
    ),
    fixture!(
        "gla_greater_london_authority_2013-P07.csv",
        Some("Greater London Authority")
    ),
    fixture!("manchester_2022-05.csv", None),
    fixture!("calderdale_2022-08.csv", None),
    fixture!("salford_2022-06.csv", None),
    fixture!("trafford_supplier_spend_2026-27.zip", None),
];

/// Starts importing the demo spend files that are not imported yet, in the background.
/// Once done, it starts working out the red flags for the bodies it imported.
pub fn start(db: Db, flags: super::flags::Cache) {
    tokio::spawn(async move {
        let started = std::time::Instant::now();
        let mut imported = 0;
        let mut bodies = Vec::new();
        for f in FILES {
            let inputs = match inputs_from_bytes(f.name, f.bytes.to_vec()) {
                Ok(i) => i,
                Err(e) => {
                    tracing::warn!(error = %e, "demo spend file skipped");
                    continue;
                }
            };
            for input in inputs {
                let done = db
                    .scalar::<i64>(
                        "SELECT id FROM spend_imports WHERE file_sha256 = $1",
                        args![input.sha256.as_str()],
                    )
                    .await;
                if !matches!(done, Ok(None)) {
                    continue;
                }
                let opts = ImportOptions {
                    body: f.body.map(str::to_owned),
                    source: ImportSource::Demo,
                    ..ImportOptions::default()
                };
                match import(&db, &input, &opts, Progress::default()).await {
                    Ok(r) => {
                        imported += r.rows_imported;
                        bodies.extend(r.body_slugs);
                    }
                    Err(e) => tracing::warn!(error = %e, "demo spend import failed"),
                }
            }
        }
        if imported > 0 {
            tracing::info!(
                rows = imported,
                seconds = started.elapsed().as_secs_f64(),
                "demo spend imported"
            );
            bodies.sort();
            bodies.dedup();
            if let Err(e) = super::flags::warm(&db, &flags, &bodies).await {
                tracing::warn!(error = %e, "starting the demo's red flags failed");
            }
        }
    });
}
