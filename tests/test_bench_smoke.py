"""The benchmarks still run: every one through ``bench.run_all`` on a few postings (figures checked, never timings)."""

import importlib
import json

import pytest

from bench import run_all

N = 120


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bench")
    # Traced runs double the child processes; the tracing path is checked once, in-process, below.
    results = run_all.main(["--n", str(N), "--no-trace", "--out", str(tmp / "results.json"), "--cache", str(tmp)])
    return tmp, results


@pytest.mark.parametrize("name", sorted(run_all.FULL_SIZES))
def test_every_benchmark_reports_its_figures(smoke, name):
    _, results = smoke
    figures = results["benchmarks"][name]["runs"][str(N)]
    module = importlib.import_module(f"bench.{name}")
    assert set(module.FIGURES) <= set(figures), set(module.FIGURES) - set(figures)
    assert all(figures[k] is not None for k in module.FIGURES)


def test_results_file_and_machine(smoke):
    tmp, results = smoke
    saved = json.loads((tmp / "results.json").read_text())
    assert set(saved["benchmarks"]) == set(run_all.FULL_SIZES)
    assert saved["machine"]["nproc"] >= 1 and saved["machine"]["python"].startswith("3.")
    assert saved["benchmarks"]["extract_bench"]["command"] == f"python -m bench.extract_bench --n {N}"
    assert saved["benchmarks"]["analysis_bench"]["command"] == f"python -m bench.analysis_bench --n {N} --no-trace"


def test_crawls_and_analysis_saw_every_posting(smoke):
    _, results = smoke
    crawl = results["benchmarks"]["crawl_bench"]["runs"][str(N)]
    assert crawl["greenhouse_postings"] == crawl["jsonld_postings"] == N
    assert crawl["kept"] + crawl["filtered"] == N
    # listing pages, job pages and robots.txt
    assert crawl["jsonld_requests"] >= N + 2
    analysis = results["benchmarks"]["analysis_bench"]["runs"][str(N)]
    assert analysis["normalise_items"] == analysis["relevance_items"] == N
    assert 0 < analysis["extract_items"] <= N and analysis["requirements"] > analysis["extract_items"]
    size = results["benchmarks"]["dbsize_bench"]["runs"][str(N)]
    assert size["without_fts_mb"] < size["with_fts_vacuumed_mb"]


def test_two_sizes_report_how_figures_grow(capsys):
    from bench import dedup_bench

    result = dedup_bench.main(["--sizes", "60,120", "--markdown"])
    assert result["ratios"]["n"] == 2.0 and "seconds" in result["ratios"]
    assert result["runs"]["120"]["postings"] > result["runs"]["60"]["postings"]
    assert "| figure | n=60 | n=120 | ratio (n 2.0x) |" in capsys.readouterr().out


def test_a_traced_stage_reports_its_python_peak(tmp_path):
    from bench import analysis_bench

    figures = analysis_bench.run_stage("relevance", tmp_path / "unused.db", 30, 7, trace=True, rerun=False)
    assert figures["items"] == 30 and figures["traced_peak_mb"] > 0 and figures["peak_rss_mb"] > 0


def test_extract_ab_compares_two_checkouts_run_by_run(tmp_path, capsys):
    """Against itself, on a few texts: every run reported for both, warm and cold (rates are not checked)."""
    from bench import extract_ab
    from bench.common import REPO_ROOT

    out = tmp_path / "ab.json"
    result = extract_ab.main(["--against", str(REPO_ROOT), "--n", "30", "--rounds", "2", "--cold-n", "10", "--cold-rounds", "1",
                              "--json", str(out)])
    assert [len(result["warm"]["runs"][k]) for k in ("this", "other")] == [2, 2]
    assert [len(result["cold"]["runs"][k]) for k in ("this", "other")] == [1, 1]
    assert all(r["rate"] > 0 for runs in result["warm"]["runs"].values() for r in runs)
    assert json.loads(out.read_text())["warm"]["n"] == 30
    printed = capsys.readouterr().out
    assert printed.count("warm n=30") == 4 and "cold: median" in printed
    with pytest.raises(SystemExit, match="not a medcoder checkout"):
        extract_ab.main(["--against", str(tmp_path)])
