"""A synthetic medical-coder job market at scale, deterministic from a seed.

``generate(n, seed)`` yields posting dicts with a realistic mix: US and
India, every role family, credentials with alternatives and grace periods,
salaries in both currencies (hourly, annual, LPA), duplicates across
sources, closed postings, off-target jobs, and descriptions of 1-8 KB.
``write_db`` puts them straight into a medcoder database (in-scope rows in
``postings``, off-target ones in ``filtered_postings``, as the store
pipeline would; requirements come from running the real analysis on it).
``description_html``, ``jsonld_page`` and ``greenhouse_job`` render a
posting in the sources' own formats, so ``bench/board.py`` can serve them
and the crawl itself can be measured.
"""

from __future__ import annotations

import hashlib
import html
import json
import random
from collections import deque
from collections.abc import Iterator

CITIES_US = [("Sacramento", "CA"), ("Austin", "TX"), ("Columbus", "OH"), ("Tampa", "FL"), ("Denver", "CO"), ("Raleigh", "NC"),
             ("Phoenix", "AZ"), ("Nashville", "TN"), ("Salt Lake City", "UT"), ("Boston", "MA")]
CITIES_IN = [("Chennai", "Tamil Nadu"), ("Hyderabad", "Telangana"), ("Noida", "Uttar Pradesh"), ("Gurugram", "Haryana"),
             ("Bengaluru", "Karnataka"), ("Pune", "Maharashtra"), ("Kochi", "Kerala"), ("Coimbatore", "Tamil Nadu")]
EMPLOYERS_US = ["Harbor Valley Health", "Sierra Mercy Health", "Bluebonnet Risk Partners", "Lakeshore Orthopedic Partners",
                "Cascadia Coding Services", "Prairie Regional Medical Center", "Tidewater Health System", "Summit Audit Group"]
EMPLOYERS_IN = ["Kaveri Health Services Pvt Ltd", "Coromandel Clinical Coding LLP", "Deccan RCM Solutions", "Malabar Medical Data",
                "Indus Coding Hub", "Sahyadri Health Analytics"]
FAMILIES = {
    "inpatient": ("Inpatient Coder", ["CCS", "CIC"], ["ICD-10-CM", "ICD-10-PCS", "MS-DRG"]),
    "outpatient": ("Outpatient Coder", ["CPC", "COC", "CCS"], ["ICD-10-CM", "CPT", "HCPCS"]),
    "pro-fee": ("Professional Fee Coder", ["CPC", "CCS-P"], ["CPT", "ICD-10-CM", "E/M"]),
    "ed": ("ED Facility Coder", ["CPC", "CEDC", "COC"], ["ICD-10-CM", "CPT", "E/M"]),
    "risk-adjustment": ("Risk Adjustment Coder", ["CRC", "CPC"], ["ICD-10-CM", "HCC"]),
    "audit": ("Coding Quality Auditor", ["CPMA", "CCS", "CPC"], ["ICD-10-CM", "CPT", "MS-DRG"]),
    "cdi": ("Clinical Documentation Integrity Specialist", ["CCDS", "CDIP"], ["ICD-10-CM", "MS-DRG"]),
    "education": ("Coding Educator", ["CPC", "CCS"], ["ICD-10-CM", "CPT"]),
    "management": ("Coding Manager", ["RHIA", "RHIT", "CCS"], ["ICD-10-CM", "CPT"]),
    "general": ("Medical Coder", ["CPC", "CPC-A", "CCA"], ["ICD-10-CM", "CPT"]),
}
OFF_TARGET = ["AR Caller - Voice Process", "Medical Billing Specialist", "Front Desk Receptionist", "Python Developer",
              "Payment Posting Executive", "Medical Scribe", "Registered Nurse"]
LEVELS = ["", " I", " II", " III"]
EDUCATION_US = ["High school diploma or GED required.", "Associate degree in Health Information Management required.",
                "Bachelor's degree in HIM preferred; high school diploma required."]
EDUCATION_IN = ["Any life science graduate (B.Sc, B.Pharm, BDS, BPT).", "Graduation mandatory; B.Sc Nursing / GNM welcome.",
                "Any graduate with a coding certificate."]
BOILERPLATE = [
    "We are an equal opportunity employer and value diversity at our company. All qualified applicants will receive "
    "consideration for employment without regard to race, colour, religion, sex, national origin, age or disability.",
    "Our benefits include medical, dental and vision coverage, paid time off, a retirement plan with employer match, "
    "tuition assistance, CEU reimbursement and paid AAPC or AHIMA membership dues.",
    "About us: for more than forty years we have served our communities with compassionate care, investing in our people, "
    "our technology and our neighbourhoods. Our coding team works closely with physicians and CDI colleagues.",
    "You will review medical records, abstract diagnoses and procedures, assign accurate codes following official "
    "guidelines, query providers when documentation is unclear, and meet productivity and 95% accuracy standards.",
]


SPECIALTIES = ["cardiology", "orthopaedics", "oncology", "general surgery", "radiology", "anaesthesia", "gastroenterology",
               "pulmonology", "nephrology", "neurology", "urology", "paediatrics", "obstetrics", "dermatology", "ENT"]
TOOLS = ["Epic", "Cerner", "Meditech", "3M 360 Encompass", "Optum EncoderPro", "TruCode", "athenahealth", "eClinicalWorks"]
FRAGMENTS = [
    "Our {team} team of {n} coders supports {k} facilities and {m} clinics across the region.",
    "You will code {specialty} and {specialty2} encounters in {tool}, averaging {n} charts a day.",
    "The department closed {n} audits last quarter with {pct}% accuracy and {k} education sessions.",
    "Shift: {start} to {end}, {days} days a week; {k} weekends a quarter on rotation.",
    "Requisition {req}: reports to the {team} supervisor at the {site} site.",
    "Training covers {specialty} documentation, {tool} workflows and our {n}-point quality checklist.",
    "Coders here work {specialty} cases with {k} physicians and {m} advanced practice providers.",
    "Productivity target after {k} weeks: {n} {specialty} charts per hour with {pct}% accuracy.",
]
TEAMS = ["revenue integrity", "HIM", "coding operations", "professional billing", "facility coding", "risk adjustment",
         "quality", "CDI", "denials prevention", "clinical data"]
SITES = ["North Campus", "Riverside", "Main Street", "Lakeside", "Hillcrest", "Tech Park", "Central", "East Wing"]


def _fragment(rng: random.Random) -> str:
    sp = rng.sample(SPECIALTIES, 2)
    return rng.choice(FRAGMENTS).format(
        team=rng.choice(TEAMS), n=rng.randint(3, 400), k=rng.randint(2, 40), m=rng.randint(2, 90), specialty=sp[0],
        specialty2=sp[1], tool=rng.choice(TOOLS), pct=rng.choice([90, 92, 95, 96, 97, 98]), start=f"{rng.randint(5, 11)} am",
        end=f"{rng.randint(1, 9)} pm", days=rng.choice([4, 5]), req=f"REQ-{rng.randint(10000, 99999)}", site=rng.choice(SITES))


def _credential_sentence(rng: random.Random, creds: list[str]) -> str:
    k = rng.choice([1, 2, 2, 3])
    chosen = rng.sample(creds, min(k, len(creds)))
    phrase = chosen[0] if len(chosen) == 1 else ", ".join(chosen[:-1]) + " or " + chosen[-1]
    form = rng.choice(["{} required", "Active {} certification required", "{} certification is mandatory",
                       "Must hold {}", "{} (required)"])
    return form.format(phrase)


def _salary(rng: random.Random, country: str) -> tuple[dict | None, str | None]:
    roll = rng.random()
    if roll < 0.25:
        return None, None
    if country == "US":
        if roll < 0.6:
            lo = rng.randint(20, 30)
            hi = lo + rng.randint(3, 9)
            return {"min": lo, "max": hi, "currency": "USD", "period": "hour"}, f"${lo}.00 - ${hi}.00 per hour"
        lo = rng.randint(45, 70) * 1000
        hi = lo + rng.randint(5, 20) * 1000
        return {"min": lo, "max": hi, "currency": "USD", "period": "year"}, f"${lo // 1000}K-${hi // 1000}K"
    lo = round(rng.uniform(2.0, 6.0), 1)
    hi = round(lo + rng.uniform(0.5, 3.0), 1)
    return {"min": lo * 100000, "max": hi * 100000, "currency": "INR", "period": "year"}, f"{lo} - {hi} LPA"


def _annual(salary: dict | None) -> tuple[float | None, float | None]:
    if not salary:
        return None, None
    factor = {"hour": 2080, "year": 1}[salary["period"]]
    return salary["min"] * factor, salary["max"] * factor


def generate(n: int = 100_000, seed: int = 7, *, duplicate_rate: float = 0.12, closed_rate: float = 0.1,
             off_target_rate: float = 0.08) -> Iterator[dict]:
    """``n`` synthetic postings as dicts shaped like ``postings`` rows, the same for the same ``seed``.

    About ``duplicate_rate`` of them copy a recent posting onto an
    aggregator (same employer and text, small edits), ``closed_rate`` are
    closed and ``off_target_rate`` are neighbouring jobs (``scope`` "out").
    """
    rng = random.Random(seed)
    # Only recent postings are copied, so only they are kept: generating 100,000 stays in bounded memory.
    made: deque[dict] = deque(maxlen=500)
    for i in range(n):
        if made and rng.random() < duplicate_rate:
            # The same job again from an aggregator: same employer and text, small edits, another source.
            orig = rng.choice(made)
            dup = dict(orig, id=f"s{i:07d}", source_id=rng.choice(["adzuna:us", "adzuna:in", "remotive", "jobspy:indeed"]),
                       url=f"https://aggregator.example/job/{i}", title=orig["title"].replace(" II", ""),
                       description=orig["description"].replace("required", "required.", 1))
            yield dup
            continue
        country = "US" if rng.random() < 0.6 else "IN"
        city, region = rng.choice(CITIES_US if country == "US" else CITIES_IN)
        employer = rng.choice(EMPLOYERS_US if country == "US" else EMPLOYERS_IN)
        off = rng.random() < off_target_rate
        family = rng.choice(list(FAMILIES))
        base_title, creds, code_sets = FAMILIES[family]
        title = rng.choice(OFF_TARGET) if off else base_title + (rng.choice(LEVELS) if rng.random() < 0.3 else "")
        if not off and rng.random() < 0.1:
            title = "Senior " + title
        salary, salary_text = _salary(rng, country)
        years = rng.choice([0, 1, 1, 2, 2, 3, 5])
        lines = ["## About the role", rng.choice(BOILERPLATE[2:]), "## Requirements",
                 "- " + _credential_sentence(rng, creds),
                 f"- {years}+ years of {family.replace('-', ' ')} coding experience" if years else "- Freshers can apply",
                 "- Working knowledge of " + ", ".join(code_sets),
                 "- " + rng.choice(EDUCATION_US if country == "US" else EDUCATION_IN),
                 "## Preferred", "- " + rng.choice(["CRC", "CDIP", "RHIT or RHIA", "CPMA", "COC"]) + " preferred",
                 "- Experience with Epic and 3M 360 Encompass"]
        if rng.random() < 0.2:
            lines.append("- Must obtain CPC within 12 months of hire")
        if salary_text:
            lines += ["## Pay", f"Salary: {salary_text}"]
        mode = rng.choice(["remote", "hybrid", "onsite", "onsite"])
        lines.append({"remote": "This is a fully remote position.", "hybrid": "Hybrid: 2 days a week onsite.",
                      "onsite": "This role is onsite."}[mode])
        target = rng.randint(1000, 8000)
        lines[2:2] = [_fragment(rng) for _ in range(rng.randint(3, 6))]
        while sum(len(x) for x in lines) < target:
            # Real postings mix the employer's boilerplate with text about this one job.
            lines.append(rng.choice(BOILERPLATE) if rng.random() < 0.35 else _fragment(rng))
        description = "\n".join(lines)
        lo, hi = _annual(salary)
        first = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"
        closed = rng.random() < closed_rate
        row = {
            "id": f"s{i:07d}", "source_id": rng.choice(["workday:synthetic", "greenhouse:synthetic", "jobposting_pages:synthetic"]),
            "source_job_id": f"R{i}", "url": f"https://careers.example/{i}", "title": title, "employer": employer,
            "location_text": f"{city}, {region}", "city": city, "region": region, "country": country, "remote": mode,
            "salary_min": salary and salary["min"], "salary_max": salary and salary["max"],
            "salary_currency": salary and salary["currency"], "salary_period": salary and salary["period"],
            "salary_annual_min": lo, "salary_annual_max": hi, "salary_text": salary_text,
            "posted_at": first, "first_seen": first + "T06:00:00+00:00", "last_seen": "2026-11-27T06:00:00+00:00",
            "closed_at": "2026-11-20T06:00:00+00:00" if closed else None, "description": description,
            "scope": "out" if off else "in", "role_family": family if not off else None,
            "content_hash": hashlib.sha1(description.encode()).hexdigest()[:16],
        }
        made.append(row)
        yield row


def write_db(db, rows, *, batch: int = 5000) -> int:
    """Insert synthetic rows into a migrated database; return how many rows were written.

    In-scope rows go to ``postings`` and off-target ones to
    ``filtered_postings`` with a reason, as the store pipeline would put
    them. Rows are inserted in batches (the FTS triggers still fire).
    """
    count = 0
    kept: list[dict] = []
    filtered: list[dict] = []
    sources: set[str] = set()

    def flush() -> None:
        # Sources first: the postings' foreign keys point at them.
        db["sources"].insert_all(({"id": s, "name": s} for s in sorted(sources)), pk="id", ignore=True)
        if kept:
            db["postings"].insert_all(kept, batch_size=batch)
        if filtered:
            db["filtered_postings"].insert_all(filtered, batch_size=batch)
        kept.clear()
        filtered.clear()

    with db.conn:
        for row in rows:
            row = {k: v for k, v in row.items() if not k.startswith("_")}
            sources.add(row["source_id"])
            if row["scope"] == "out":
                filtered.append({"id": row["id"], "source_id": row["source_id"], "url": row["url"], "title": row["title"],
                                 "employer": row["employer"], "country": row["country"], "relevance_score": 0.05,
                                 "reason": f"title {row['title']!r} is not a coding job", "first_seen": row["first_seen"],
                                 "last_seen": row["last_seen"], "item_json": json.dumps(row, ensure_ascii=False)})
            else:
                kept.append(row)
            count += 1
            if len(kept) + len(filtered) >= batch:
                flush()
        flush()
    return count


def description_html(row: dict) -> str:
    """The posting's text as a career site marks it up: ``<h2>`` headings, ``<ul>`` lists, ``<p>`` paragraphs."""
    out: list[str] = []
    in_list = False
    for line in row["description"].split("\n"):
        if line.startswith("- "):
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{html.escape(line[2:])}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if line.startswith("## "):
            out.append(f"<h2>{html.escape(line[3:])}</h2>")
        elif line:
            out.append(f"<p>{html.escape(line)}</p>")
    if in_list:
        out.append("</ul>")
    return "\n".join(out)


def _job_posting(row: dict, url: str | None) -> dict:
    job: dict = {"@context": "https://schema.org", "@type": "JobPosting", "title": row["title"],
                 "description": description_html(row), "datePosted": row["posted_at"],
                 "identifier": {"@type": "PropertyValue", "value": row["source_job_id"]},
                 "hiringOrganization": {"@type": "Organization", "name": row["employer"]},
                 "jobLocation": {"@type": "Place", "address": {"@type": "PostalAddress", "addressLocality": row["city"],
                                                               "addressRegion": row["region"], "addressCountry": row["country"]}}}
    if url:
        job["url"] = url
    if row["remote"] == "remote":
        job["jobLocationType"] = "TELECOMMUTE"
        job["applicantLocationRequirements"] = {"@type": "Country", "name": row["country"]}
    if row.get("salary_min") is not None:
        job["baseSalary"] = {"@type": "MonetaryAmount", "currency": row["salary_currency"],
                             "value": {"@type": "QuantitativeValue", "minValue": row["salary_min"],
                                       "maxValue": row["salary_max"], "unitText": row["salary_period"].upper()}}
    return job


def jsonld_page(row: dict, url: str | None = None) -> str:
    """One synthetic posting as a career page with schema.org JobPosting JSON-LD (``url``: its canonical address)."""
    # "</" inside JSON would end the script element early; escape it as browsers expect.
    body = json.dumps(_job_posting(row, url), ensure_ascii=False).replace("</", "<\\/")
    title = html.escape(row["title"])
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f'<script type="application/ld+json">{body}</script></head>'
            f'<body><h1>{title}</h1><div class="description">{description_html(row)}</div></body></html>')


def greenhouse_job(row: dict, board: str, number: int) -> dict:
    """One synthetic posting as the Greenhouse job board API returns it with ``content=true``."""
    where = "Remote - " + row["country"] if row["remote"] == "remote" else row["location_text"]
    return {
        "id": number, "internal_job_id": 100_000 + number, "title": row["title"],
        "updated_at": row["posted_at"] + "T09:00:00-05:00", "first_published": row["posted_at"] + "T09:00:00-05:00",
        "requisition_id": row["source_job_id"], "location": {"name": where},
        "absolute_url": f"https://boards.greenhouse.example/{board}/jobs/{number}", "company_name": row["employer"],
        "metadata": [{"id": 1, "name": "Employment Type", "value": "Full-time"}],
        "departments": [{"id": 7, "name": "Revenue Integrity"}], "offices": [{"id": 3, "name": where}],
        # Greenhouse sends the description entity-escaped.
        "content": html.escape(description_html(row)),
    }
