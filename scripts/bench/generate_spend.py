#!/usr/bin/env python3
"""Generates realistic London spend data for the import benchmark (not for tests).

One CSV in the LGA "spend over £500" shape, for the 33 London authorities: body name, service
area, expense type, procurement category, payment date (dd/mm/yyyy), transaction number,
supplier, amount. Suppliers follow a Zipf-like popularity (a few vendors everywhere, a long
tail of local ones), a tenth of them written two ways ("Ltd"/"Limited"), 5% of payments to
redacted individuals; amounts are log-normal from £500 with 2% credit notes. Deterministic
for a given --rows and --seed.

    python3 scripts/bench/generate_spend.py --rows 2000000 --out /tmp/london-2m.csv
"""
import argparse
import csv
import datetime
import math
import random

BOROUGHS = [
    "City of London Corporation", "London Borough of Barking and Dagenham",
    "London Borough of Barnet", "London Borough of Bexley", "London Borough of Brent",
    "London Borough of Bromley", "London Borough of Camden", "Royal Borough of Greenwich",
    "London Borough of Croydon", "London Borough of Ealing", "London Borough of Enfield",
    "London Borough of Hackney", "London Borough of Hammersmith and Fulham",
    "London Borough of Haringey", "London Borough of Harrow", "London Borough of Havering",
    "London Borough of Hillingdon", "London Borough of Hounslow", "London Borough of Islington",
    "Royal Borough of Kensington and Chelsea", "Royal Borough of Kingston upon Thames",
    "London Borough of Lambeth", "London Borough of Lewisham", "London Borough of Merton",
    "London Borough of Newham", "London Borough of Redbridge",
    "London Borough of Richmond upon Thames", "London Borough of Southwark",
    "London Borough of Sutton", "London Borough of Tower Hamlets",
    "London Borough of Waltham Forest", "London Borough of Wandsworth", "Westminster City Council",
]
SERVICES = ["Adult Social Care", "Children's Services", "Housing", "Environment",
            "Resources", "Digital and IT", "Public Health", "Regeneration", "Education",
            "Highways and Transport", "Corporate Services", "Culture and Leisure"]
EXPENSES = [
    ("Software Licences", "ICT"), ("ICT Support & Maintenance", "ICT"), ("Computer Hardware", "ICT"),
    ("Telephones", "ICT"), ("Hosting Services", "ICT"), ("Residential Care", "Social Care"),
    ("Domiciliary Care", "Social Care"), ("Supported Living", "Social Care"),
    ("Independent Fostering", "Social Care"), ("Temporary Accommodation", "Housing"),
    ("Responsive Repairs", "Construction"), ("Capital Works", "Construction"),
    ("Agency Staff", "Professional"), ("Consultancy", "Professional"), ("Legal Fees", "Professional"),
    ("Waste Disposal", "Environment"), ("Grounds Maintenance", "Environment"),
    ("Electricity", "Energy"), ("Gas", "Energy"), ("Vehicle Hire", "Transport"),
    ("Home to School Transport", "Transport"), ("Printing and Stationery", "Office"),
    ("Catering", "Catering"), ("Training Courses", "Training"), ("Advertising", "Marketing"),
    ("Insurance Premiums", "Finance"), ("Grants to Voluntary Organisations", "Grants"),
    ("Rent", "Property"), ("Cleaning", "Facilities"), ("Security Services", "Facilities"),
    ("Miscellaneous Expenses", "Other"), ("Equipment Purchase", "Equipment"),
]
WORDS = ["Thames", "Capital", "Metro", "Northgate", "Civic", "Borough", "Riverside", "Crown",
         "Harbour", "Meridian", "Summit", "Pioneer", "Sterling", "Beacon", "Oak", "Cedar",
         "Phoenix", "Atlas", "Vertex", "Apex", "Unity", "Horizon", "Keystone", "Lighthouse"]
KINDS = ["Systems", "Care", "Services", "Solutions", "Homes", "Maintenance", "Consulting",
         "Transport", "Facilities", "Digital", "Housing", "Supplies", "Construction", "Energy"]
FORMS = ["Ltd", "Limited", "PLC", "LLP", "CIC", ""]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--suppliers", type=int, default=40_000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    names = []
    for i in range(a.suppliers):
        base = f"{rnd.choice(WORDS)} {rnd.choice(KINDS)} {i}"
        form = rnd.choice(FORMS)
        variants = [f"{base} {form}".strip()]
        if rnd.random() < 0.1:
            variants.append(f"{base.upper()} {'LIMITED' if form in ('Ltd', '') else 'LTD'}")
        names.append(variants)
    # Zipf-like weights: supplier k gets weight 1/(k+10).
    weights = [1.0 / (k + 10) for k in range(a.suppliers)]
    start = datetime.date(2022, 4, 1)
    days = 730
    batch = 100_000
    with open(a.out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Body Name", "Service Area", "Expense Type", "Procurement Category",
                    "Payment Date", "Transaction Number", "Supplier Name", "Net Amount"])
        n = 0
        while n < a.rows:
            k = min(batch, a.rows - n)
            sup = rnd.choices(range(a.suppliers), weights=weights, k=k)
            for j in range(k):
                day = start + datetime.timedelta(days=int((n + j) * days / a.rows))
                body = BOROUGHS[rnd.randrange(33)]
                exp, cat = EXPENSES[(sup[j] * 7 + rnd.randrange(3)) % len(EXPENSES)]
                if rnd.random() < 0.05:
                    payee = "REDACTED - PERSONAL DATA"
                else:
                    v = names[sup[j]]
                    payee = v[rnd.randrange(len(v))]
                amount = math.exp(rnd.gauss(7.5, 1.3)) + 500
                if rnd.random() < 0.02:
                    amount = -amount / 4
                w.writerow([body, SERVICES[rnd.randrange(len(SERVICES))], exp, cat,
                            day.strftime("%d/%m/%Y"), f"TX{n + j:09d}", payee, f"{amount:.2f}"])
            n += k


if __name__ == "__main__":
    main()
