"""``medcoder demo``: the whole pipeline on the bundled demo board, start to finish.

Serve the demo board on 127.0.0.1, crawl it with the real Scrapy spider,
analyse, write the database, write the gap report for the sample profile,
and summarise.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from analysis.gap import gap_report
from analysis.pipeline import analyse_db
from analysis.profile import load_profile, sample_profile_path
from analysis.report import render
from medcoder.crawl import LOCAL_SETTINGS, run_spider
from medcoder.db import connect
from medcoder.demo.board import DemoBoardServer


@dataclass
class DemoSummary:
    db_path: Path
    report_paths: list[Path]
    log_path: Path
    crawl_status: str
    kept: int
    filtered: int
    problems: int
    analysed: int
    top_required: list[tuple[str, int]] = field(default_factory=list)

    def text(self) -> str:
        top = ", ".join(f"{cid} ({n})" for cid, n in self.top_required) or "none"
        db = shlex.quote(str(self.db_path))
        return "\n".join([
            "",
            f"Demo crawl: {self.crawl_status}",
            f"  postings kept:          {self.kept}",
            f"  filtered out (not coding): {self.filtered}",
            f"  broken pages reported:  {self.problems}",
            f"  top required credentials: {top}",
            f"  database: {self.db_path}",
            "  report:   " + ", ".join(str(p) for p in self.report_paths),
            f"  crawl log: {self.log_path}",
            "",
            "Browse the database in Datasette:",
            f"  {medcoder_command()} serve --db {db}",
            "",
        ])


def medcoder_command() -> str:
    """How this user can type ``medcoder``: the bare name when it is on PATH, else the venv's script."""
    script = Path(sys.executable).parent / "medcoder"
    if shutil.which("medcoder") and Path(shutil.which("medcoder")).resolve() == script.resolve():
        return "medcoder"
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def top_required_credentials(db, limit: int = 5) -> list[tuple[str, int]]:
    """Credentials most often required by open, in-scope, de-duplicated postings (each counted once per credential)."""
    return [tuple(r) for r in db.execute(
        """select r.skill_id, count(distinct r.posting_id) n from posting_requirements r join postings p on p.id = r.posting_id
           where r.category = 'credential' and r.level = 'required' and p.scope = 'in' and p.closed_at is null
             and coalesce(p.is_representative, 1) = 1
           group by r.skill_id order by n desc, r.skill_id limit ?""", [limit]).fetchall()]


def run_demo(*, out_dir: Path, db_path: Path | None = None, console: Console | None = None) -> DemoSummary:
    """Run the demo end to end into ``out_dir`` (the database too, unless ``db_path`` is given)."""
    console = console or Console(stderr=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    db_path = Path(db_path) if db_path else out_dir / "medcoder.db"
    log_path = out_dir / "crawl.log"
    with DemoBoardServer() as board:
        console.print(f"[1/4] demo job board serving {len(board.postings)} postings on {board.base_url}")
        with console.status("[2/4] crawling the demo board with Scrapy…") as status:
            result = run_spider("demo_board", {"url": board.listing_url}, db=db_path, settings=LOCAL_SETTINGS, log_path=log_path,
                                progress=lambda n: status.update(f"[2/4] crawling the demo board: {n} postings stored"))
    run = result.run or {}
    console.print(f"[2/4] crawl {result.status}: {run.get('items_kept', 0)} kept, {run.get('items_filtered', 0)} filtered out, "
                  f"{run.get('errors', 0)} problems (log: {log_path})")
    db = connect(db_path)
    with console.status("[3/4] extracting requirements…") as status:
        analysed = analyse_db(db, progress=lambda n, t: status.update(f"[3/4] extracting requirements {n}/{t}"))
    console.print(f"[3/4] analysed {analysed.analysed} postings, {analysed.requirements} requirements")
    profile = load_profile(sample_profile_path())
    report = gap_report(db, profile)
    reports = []
    for fmt, name in (("html", "gap-report.html"), ("md", "gap-report.md"), ("json", "gap-report.json")):
        path = out_dir / name
        path.write_text(render(report, fmt, profile_name=profile.name), encoding="utf-8")
        reports.append(path)
    console.print(f"[4/4] gap report for the sample profile: qualifies for {report['qualified']} of {report['postings_considered']} postings")
    summary = DemoSummary(
        db_path=db_path, report_paths=reports, log_path=log_path, crawl_status=result.status,
        kept=db.execute("select count(*) from postings").fetchone()[0],
        filtered=db.execute("select count(*) from filtered_postings").fetchone()[0],
        problems=run.get("errors", 0) or 0, analysed=analysed.analysed, top_required=top_required_credentials(db),
    )
    db.conn.close()
    return summary
