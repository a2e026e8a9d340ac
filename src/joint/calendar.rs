//! Bank holidays in England and working-day arithmetic. Pure: no clock, no I/O.
//!
//! Bank holidays are computed, not looked up, so that plans years ahead work: the regular
//! ones follow the Banking and Financial Dealings Act 1971 and the annual proclamations
//! (New Year's Day, Good Friday, Easter Monday, the first and last Mondays of May, the last
//! Monday of August, Christmas Day and Boxing Day, with substitute days when they fall at a
//! weekend). One-off changes by royal proclamation are in [`ONE_OFF`] and [`MOVED`]; when a new
//! one is proclaimed, add it there (gov.uk/bank-holidays lists them).

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// A bank holiday: its date and its name as gov.uk gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankHoliday {
    pub date: NaiveDate,
    pub name: &'static str,
}

/// Extra bank holidays proclaimed for one year only.
const ONE_OFF: &[(i32, u32, u32, &str)] = &[
    (1999, 12, 31, "Millennium bank holiday"),
    (2002, 6, 3, "Golden Jubilee bank holiday"),
    (2011, 4, 29, "Royal wedding bank holiday"),
    (2012, 6, 5, "Queen’s Diamond Jubilee"),
    (2022, 6, 3, "Platinum Jubilee bank holiday"),
    (
        2022,
        9,
        19,
        "Bank Holiday for the State Funeral of Queen Elizabeth II",
    ),
    (
        2023,
        5,
        8,
        "Bank holiday for the coronation of King Charles III",
    ),
];

/// Regular bank holidays moved for one year: (year, usual name, new date).
const MOVED: &[(i32, &str, u32, u32)] = &[
    // VE day anniversaries: the early May bank holiday moved to Friday 8 May.
    (1995, EARLY_MAY, 5, 8),
    (2020, EARLY_MAY, 5, 8),
    // Jubilees: the spring bank holiday moved to early June.
    (2002, SPRING, 6, 4),
    (2012, SPRING, 6, 4),
    (2022, SPRING, 6, 2),
];

const EARLY_MAY: &str = "Early May bank holiday";
const SPRING: &str = "Spring bank holiday";

/// Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm, as in
/// Meeus/Jones/Butcher). Valid for every year chrono can represent after 1583.
pub fn easter_sunday(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, u32::try_from(month).ok()?, u32::try_from(day).ok()?)
}

fn first_weekday(year: i32, month: u32, weekday: Weekday) -> Option<NaiveDate> {
    NaiveDate::from_weekday_of_month_opt(year, month, weekday, 1)
}

pub fn last_weekday_of_month(year: i32, month: u32, weekday: Weekday) -> Option<NaiveDate> {
    let next_month = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)?
    };
    let mut d = next_month.pred_opt()?;
    while d.weekday() != weekday {
        d = d.pred_opt()?;
    }
    Some(d)
}

pub fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Every bank holiday in England in `year`, in date order.
pub fn bank_holidays(year: i32) -> Vec<BankHoliday> {
    let mut out = Vec::with_capacity(10);
    let mut push = |date: Option<NaiveDate>, name: &'static str| {
        if let Some(date) = date {
            out.push(BankHoliday { date, name });
        }
    };
    // New Year's Day, or the Monday after when it falls at a weekend.
    if let Some(ny) = NaiveDate::from_ymd_opt(year, 1, 1) {
        let observed = match ny.weekday() {
            Weekday::Sat => ny + Duration::days(2),
            Weekday::Sun => ny + Duration::days(1),
            _ => ny,
        };
        push(Some(observed), "New Year’s Day");
    }
    if let Some(easter) = easter_sunday(year) {
        push(Some(easter - Duration::days(2)), "Good Friday");
        push(Some(easter + Duration::days(1)), "Easter Monday");
    }
    let moved = |name: &str| {
        MOVED
            .iter()
            .find(|(y, n, _, _)| *y == year && *n == name)
            .and_then(|(y, _, m, d)| NaiveDate::from_ymd_opt(*y, *m, *d))
    };
    push(
        moved(EARLY_MAY).or_else(|| first_weekday(year, 5, Weekday::Mon)),
        if year == 2020 || year == 1995 {
            "Early May bank holiday (VE day)"
        } else {
            EARLY_MAY
        },
    );
    push(
        moved(SPRING).or_else(|| last_weekday_of_month(year, 5, Weekday::Mon)),
        SPRING,
    );
    push(
        last_weekday_of_month(year, 8, Weekday::Mon),
        "Summer bank holiday",
    );
    // Christmas and Boxing Day: a day at the weekend is replaced by the next weekday that is
    // not already a holiday (so Christmas on a Saturday gives Monday 27 and Tuesday 28).
    if let (Some(xmas), Some(boxing)) = (
        NaiveDate::from_ymd_opt(year, 12, 25),
        NaiveDate::from_ymd_opt(year, 12, 26),
    ) {
        let (c, b) = match xmas.weekday() {
            Weekday::Fri => (xmas, xmas + Duration::days(3)),
            Weekday::Sat => (xmas + Duration::days(2), xmas + Duration::days(3)),
            Weekday::Sun => (xmas + Duration::days(2), boxing),
            _ => (xmas, boxing),
        };
        push(Some(c), "Christmas Day");
        push(Some(b), "Boxing Day");
    }
    for (y, m, d, name) in ONE_OFF {
        if *y == year {
            push(NaiveDate::from_ymd_opt(*y, *m, *d), name);
        }
    }
    out.sort_by_key(|h| h.date);
    out
}

/// The bank holiday on `date`, if there is one.
pub fn bank_holiday(date: NaiveDate) -> Option<BankHoliday> {
    bank_holidays(date.year())
        .into_iter()
        .find(|h| h.date == date)
}

pub fn is_bank_holiday(date: NaiveDate) -> bool {
    bank_holiday(date).is_some()
}

/// Monday to Friday, and not a bank holiday in England.
pub fn is_working_day(date: NaiveDate) -> bool {
    !is_weekend(date) && !is_bank_holiday(date)
}

/// The first working day on or after `date`.
pub fn working_day_on_or_after(date: NaiveDate) -> NaiveDate {
    let mut d = date;
    while !is_working_day(d) {
        d = d.succ_opt().unwrap_or(d);
        if d == NaiveDate::MAX {
            break;
        }
    }
    d
}

/// `n` working days after `date` (`date` itself does not count). `n = 0` is `date`.
pub fn add_working_days(date: NaiveDate, n: u32) -> NaiveDate {
    let mut d = date;
    let mut left = n;
    while left > 0 {
        match d.succ_opt() {
            Some(next) => d = next,
            None => break,
        }
        if is_working_day(d) {
            left -= 1;
        }
    }
    d
}

/// `n` working days before `date` (`date` itself does not count). `n = 0` is `date`.
pub fn sub_working_days(date: NaiveDate, n: u32) -> NaiveDate {
    let mut d = date;
    let mut left = n;
    while left > 0 {
        match d.pred_opt() {
            Some(prev) => d = prev,
            None => break,
        }
        if is_working_day(d) {
            left -= 1;
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    /// England and Wales bank holidays as published on gov.uk/bank-holidays (the
    /// `england-and-wales` events of bank-holidays.json for 2017–2023, and the page's list
    /// for 2024–2027).
    const PUBLISHED: &[(i32, &[&str])] = &[
        (
            2017,
            &[
                "2017-01-02",
                "2017-04-14",
                "2017-04-17",
                "2017-05-01",
                "2017-05-29",
                "2017-08-28",
                "2017-12-25",
                "2017-12-26",
            ],
        ),
        (
            2018,
            &[
                "2018-01-01",
                "2018-03-30",
                "2018-04-02",
                "2018-05-07",
                "2018-05-28",
                "2018-08-27",
                "2018-12-25",
                "2018-12-26",
            ],
        ),
        (
            2019,
            &[
                "2019-01-01",
                "2019-04-19",
                "2019-04-22",
                "2019-05-06",
                "2019-05-27",
                "2019-08-26",
                "2019-12-25",
                "2019-12-26",
            ],
        ),
        (
            2020,
            &[
                "2020-01-01",
                "2020-04-10",
                "2020-04-13",
                "2020-05-08",
                "2020-05-25",
                "2020-08-31",
                "2020-12-25",
                "2020-12-28",
            ],
        ),
        (
            2021,
            &[
                "2021-01-01",
                "2021-04-02",
                "2021-04-05",
                "2021-05-03",
                "2021-05-31",
                "2021-08-30",
                "2021-12-27",
                "2021-12-28",
            ],
        ),
        (
            2022,
            &[
                "2022-01-03",
                "2022-04-15",
                "2022-04-18",
                "2022-05-02",
                "2022-06-02",
                "2022-06-03",
                "2022-08-29",
                "2022-09-19",
                "2022-12-26",
                "2022-12-27",
            ],
        ),
        (
            2023,
            &[
                "2023-01-02",
                "2023-04-07",
                "2023-04-10",
                "2023-05-01",
                "2023-05-08",
                "2023-05-29",
                "2023-08-28",
                "2023-12-25",
                "2023-12-26",
            ],
        ),
        (
            2024,
            &[
                "2024-01-01",
                "2024-03-29",
                "2024-04-01",
                "2024-05-06",
                "2024-05-27",
                "2024-08-26",
                "2024-12-25",
                "2024-12-26",
            ],
        ),
        (
            2025,
            &[
                "2025-01-01",
                "2025-04-18",
                "2025-04-21",
                "2025-05-05",
                "2025-05-26",
                "2025-08-25",
                "2025-12-25",
                "2025-12-26",
            ],
        ),
        (
            2026,
            &[
                "2026-01-01",
                "2026-04-03",
                "2026-04-06",
                "2026-05-04",
                "2026-05-25",
                "2026-08-31",
                "2026-12-25",
                "2026-12-28",
            ],
        ),
        (
            2027,
            &[
                "2027-01-01",
                "2027-03-26",
                "2027-03-29",
                "2027-05-03",
                "2027-05-31",
                "2027-08-30",
                "2027-12-27",
                "2027-12-28",
            ],
        ),
    ];

    #[test]
    fn computed_bank_holidays_match_those_published_on_gov_uk() {
        for (year, dates) in PUBLISHED {
            let got: Vec<String> = bank_holidays(*year)
                .iter()
                .map(|h| h.date.to_string())
                .collect();
            let want: Vec<String> = dates.iter().map(|s| (*s).to_owned()).collect();
            assert_eq!(got, want, "{year}");
        }
    }

    #[test]
    fn easter_sunday_for_known_years() {
        assert_eq!(easter_sunday(2024), Some(d("2024-03-31")));
        assert_eq!(easter_sunday(2025), Some(d("2025-04-20")));
        assert_eq!(easter_sunday(2038), Some(d("2038-04-25")));
        assert_eq!(easter_sunday(2285), Some(d("2285-03-22")));
    }

    #[test]
    fn christmas_on_a_saturday_gives_two_substitute_days() {
        let h = bank_holidays(2027);
        let names: Vec<_> = h
            .iter()
            .filter(|h| h.date.month() == 12)
            .map(|h| (h.date.to_string(), h.name))
            .collect();
        assert_eq!(
            names,
            vec![
                ("2027-12-27".to_owned(), "Christmas Day"),
                ("2027-12-28".to_owned(), "Boxing Day")
            ]
        );
    }

    #[test]
    fn working_days_skip_weekends_and_bank_holidays() {
        // Thursday 2 April 2026 + 1 working day skips Good Friday, the weekend and Easter
        // Monday.
        assert_eq!(add_working_days(d("2026-04-02"), 1), d("2026-04-07"));
        assert_eq!(sub_working_days(d("2026-04-07"), 1), d("2026-04-02"));
        assert_eq!(add_working_days(d("2026-04-02"), 0), d("2026-04-02"));
        assert_eq!(working_day_on_or_after(d("2026-12-25")), d("2026-12-29"));
        assert!(!is_working_day(d("2026-08-31")));
        assert!(is_working_day(d("2026-09-01")));
    }
}
