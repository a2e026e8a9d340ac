-- The Procurement Act 2023 thresholds changed on 1 January 2026 (The Procurement Act 2023
-- (Threshold Amounts) (Amendment) Regulations 2025): sub-central supplies and services
-- £214,904 -> £207,720, works £5,372,609 -> £5,193,000, light-touch services unchanged at
-- £663,540 (all inclusive of VAT). Databases seeded before this carry the old amounts as red-flag
-- thresholds; move the seeded rows (same amount and label) to the new amounts, unless an admin
-- has already added the new amount or relabelled the old one.
UPDATE spend_thresholds SET amount_pence = 20772000
WHERE amount_pence = 21490400 AND label = 'Procurement Act 2023: goods and services'
  AND NOT EXISTS (SELECT 1 FROM spend_thresholds WHERE amount_pence = 20772000);
UPDATE spend_thresholds SET amount_pence = 519300000
WHERE amount_pence = 537260900 AND label = 'Procurement Act 2023: works'
  AND NOT EXISTS (SELECT 1 FROM spend_thresholds WHERE amount_pence = 519300000);
