//! The shared supplier register resolves the same supplier however sources spell it.

use procurekit::suppliers::store::{MatchedBy, resolve};
use procurekit::suppliers::{CompanyNumber, VatNumber};

use crate::helpers::TestApp;
use crate::on_both_databases;

on_both_databases!(one_supplier_however_it_is_written);

async fn one_supplier_however_it_is_written(app: TestApp) {
    let mut tx = app.db.begin().await.unwrap();
    let cn = CompanyNumber::parse("2929383").unwrap();
    let (capita, how) = resolve(&mut tx, "CAPITA BUSINESS SERVICES LTD", Some(&cn), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(how, MatchedBy::New);
    let (same, how) = resolve(&mut tx, "Capita Business Services Limited", None, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((same, how), (capita, MatchedBy::Name));
    let (same, how) = resolve(&mut tx, "Capita (different spelling)", Some(&cn), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((same, how), (capita, MatchedBy::CompanyNumber));
    // The new spelling was learnt as an alias.
    let (same, how) = resolve(&mut tx, "capita - different spelling", None, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((same, how), (capita, MatchedBy::Name));

    let vat = VatNumber::parse("GB 123 4567 89").unwrap();
    let (other, _) = resolve(&mut tx, "Thamesgate Systems", None, Some(&vat))
        .await
        .unwrap()
        .unwrap();
    assert_ne!(other, capita);
    let (same, how) = resolve(&mut tx, "TGS", None, Some(&vat))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((same, how), (other, MatchedBy::VatNumber));

    assert!(
        resolve(&mut tx, "REDACTED UNDER DP ACT", None, None)
            .await
            .unwrap()
            .is_none()
    );
    assert!(resolve(&mut tx, "   ", None, None).await.unwrap().is_none());
    tx.commit().await.unwrap();
    let count = app
        .db
        .scalar::<i64>("SELECT COUNT(*) FROM suppliers", vec![])
        .await
        .unwrap();
    assert_eq!(count, Some(2));
    let s = procurekit::suppliers::store::get(&app.db, capita)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.company_number.as_deref(), Some("02929383"));
}
