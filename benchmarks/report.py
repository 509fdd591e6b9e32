"""Write docs/performance.md from the figures in benchmarks/results/.

Run last by ``make bench`` (or ``python -m benchmarks.report``). Every
figure in the generated part comes from the JSON files the benchmarks
wrote in this run; the budgets of issue 6 are checked against them and
marked met or missed. The hand-written analysis (what was profiled, what
was changed, what remains) is kept in ``benchmarks/notes.md`` and copied
in after the figures.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import datetime
from importlib import metadata
from pathlib import Path
from zoneinfo import ZoneInfo

from benchmarks.common import RESULTS, ROOT
from benchmarks.report_common import kib, load, number, table, verdict
from benchmarks.report_publication import (
    public_budget_rows,
    public_transfer_lines,
    publication_section,
)
from ise_iga_dx.lib.wareki import fiscal_year_label

NOTES = ROOT / "benchmarks" / "notes.md"
OUTPUT = ROOT / "docs" / "performance.md"
DATABASES = (("sqlite", "SQLite"), ("postgresql", "PostgreSQL"))

# Issue 6's budgets, at national size on PostgreSQL.
MAX_QUERIES = 15
DASHBOARD_P95_MS = 150
PRINT_P95_MS = 300
# Issue 14's: the round's pages within the dashboard's budget; the save of
# a department page a constant number of queries (no time budget).
ROUND_P95_MS = 150
ROUND_PAGES = ("実績報告 ボード", "実績報告 入力ページ", "進捗管理シート")
SAVE = "実績報告 入力ページの保存"
REPEAT_LOAD_BYTES = 150_000
# The spreadsheet issue's goal: an import of 10,000 rows within 3× the time
# openpyxl alone takes to read the file, by the command and by the admin.
IMPORT_GOAL = 3


def machine() -> list[str]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        total = int(meminfo.read_text().split()[1])
        memory = f"{total / 1024 / 1024:.0f} GiB"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
            text=True, check=True).stdout.strip()
        # The report itself does not count as a change to what was measured.
        status = ["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                  ":!docs/performance.md"]
        if subprocess.run(status, cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip():
            commit += " with uncommitted changes"
    except (OSError, subprocess.CalledProcessError):
        commit = "?"
    versions = ", ".join(
        f"{package} {metadata.version(package)}"
        for package in ("Django", "psycopg", "gunicorn", "openpyxl", "plotly")
    )
    servers = sorted({
        result["server"] for vendor, _ in DATABASES
        if (result := load(f"pages-{vendor}")) and "server" in result
    })
    return [
        f"- Machine: {platform.machine()}, {os.cpu_count()} cores"
        + (f" ({model})" if model else "") + (f", {memory}" if memory else "")
        + f", {platform.system()} {platform.release()}",
        f"- Python {platform.python_version()}; {versions}; " + ", ".join(servers),
        f"- Commit {commit}; generated "
        + datetime.now(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M JST"),
        "- Figures written (benchmarks/results/, each file's time): " + written(),
    ]


def written() -> str:
    """Say when each result file was written: a partial run keeps older ones."""
    tokyo = ZoneInfo("Asia/Tokyo")
    files = sorted(RESULTS.glob("*.json")) if RESULTS.exists() else []
    return ", ".join(
        f"{path.stem} {datetime.fromtimestamp(path.stat().st_mtime, tokyo):%Y-%m-%d %H:%M}"
        for path in files
    ) or "none"


def pages_section() -> tuple[list[str], dict]:
    lines = [
        "## Pages: server time and SQL queries",
        "",
        "`python -m benchmarks.pages`: each page as the system administrator (the login that",
        "sees every plan), through Django's test client in process (every middleware, the view,",
        "the template; no network). p50/p95 over the measured requests after 3 warm-up",
        "requests; queries counted on one more request. **Ratio** is the page's p50 over the p50",
        "of the admin change list a user would otherwise open for the same data, measured",
        "alternately with the page in the same run: the plan's actuals for the dashboard, print",
        "page and API; the KGI's actuals for the KGI page; the plan list for the home page.",
        "",
        "The reporting round's pages (issue 14) are measured on an open 実績報告 of the plan's",
        "year: its board (提出状況, every department and the KGIs it was asked for) as the",
        "system administrator; the department page (実績報告 入力ページ) and its save as a",
        "所管課 login of the department that owns the most KGIs; the 進捗管理シート of that year.",
        "The save is a POST of the whole page as a browser sends it (every KGI's value, reason",
        "and three comments, and the versions the page showed), answered by a redirect; each",
        "save swaps every KGI's comments between two texts, so each writes every KGI and the",
        "data does not drift. Their admin list is the plan's actuals.",
        "",
    ]
    national: dict = {}
    for vendor, label in DATABASES:
        result = load(f"pages-{vendor}")
        if not result:
            lines += [f"*{label}: not measured in this run.*", ""]
            continue
        for size, title in (("small", "1 plan × 16 KGIs (伊勢市 第2期, real data)"),
                            ("national", "national size")):
            data = result.get(size)
            if not data:
                continue
            if size == "national":
                national[vendor] = data
                generated = result["generated"]
                title = (f"national size: {number(data['plans'])} plans, "
                         f"{number(generated['指標'])} KGIs, "
                         f"{number(generated['実績値'])} actuals; a plan of "
                         f"{data['indicators']} KGIs")
            lines += [f"### {label}, {title}", ""]
            if "round" in data:
                lines += [round_text(data["round"]), ""]
            lines += table(
                ["page", "p50", "p95", "queries", "HTML", "admin list p50", "ratio"],
                [[page_label(page), f"{page['p50_ms']} ms",
                  f"{page['p95_ms']} ms", str(page["queries"]),
                  kib(page["bytes"]) if page.get("method", "GET") == "GET" else "redirect",
                  f"{page['reference_p50_ms']} ms", f"{page['ratio']}×"]
                 for page in data["pages"]],
            )
            lines += ["", f"{result['runs']} measured requests per page.", ""]
    return lines, national


def page_label(page: dict) -> str:
    method = "POST " if page.get("method") == "POST" else ""
    login = "（所管課）" if page.get("login") == "department" else ""
    return f"{page['name']}{login} `{method}{page['url']}`"


def round_text(round_: dict) -> str:
    return (f"Its round ({fiscal_year_label(round_['fiscal_year'])}): {round_['departments']} "
            f"departments asked, {round_['board_rows']} board rows (a department and a KGI "
            f"asked of it); the department page of {round_['department']}, "
            f"{round_['department_kgis']} KGIs.")


def generate_section() -> list[str]:
    rows, rounds = [], []
    for vendor, label in DATABASES:
        result = load(f"pages-{vendor}")
        if result and "generate_s" in result:
            generated = result["generated"]
            rows.append([label, f"{result['generate_s']} s",
                         number(generated["指標"]), number(generated["目標値"]),
                         number(generated["実績値"])])
        if result and "rounds_s" in result:
            made = result["rounds_generated"]
            states = " / ".join(
                f"{state} {number(made.get(f'提出：{state}', 0))}"
                for state in ("未着手", "入力中", "提出済", "差戻し", "確定"))
            rounds.append([label, f"{result['rounds_s']} s", number(made["所管課"]),
                           number(made["実績報告"]), number(made["提出"]), states,
                           number(made["確定した実績値"]),
                           number(made["取組状況などを記入した実績値"])])
    if not rows:
        return []
    lines = [
        "## Generating and loading the national data set", "",
        "`generate_synthetic --municipalities 1741 --indicators 40 --years 8` (the same",
        "function, timed inside `benchmarks.pages`): build the rows, write them in one",
        "transaction, and on PostgreSQL refresh the planner's statistics (ANALYZE).", "",
        *table(["database", "time", "KGIs", "targets", "actuals"], rows), "",
    ]
    if rounds:
        lines += [
            "Then the reporting rounds (`benchmarks.rounds`, issue 14): 19 more departments a",
            "city (20 in all), each owning one of its plan's 4 measures (the generator's own",
            "department keeps all 40 KGIs); one open 実績報告 per plan for its default year, with",
            "a submission per department, a history row each and no e-mail; the submissions in",
            "a mix of states (a 確定 one confirms its KGIs' actuals, a 差戻し one has the",
            "office's notes); and about half of that year's actuals given 取組状況・要因分析・",
            "今後の方向性 of 100–300 characters each. In bulk, 100 cities at a time, in one",
            "transaction.", "",
            *table(["database", "time", "departments added", "rounds", "submissions",
                    "未着手 / 入力中 / 提出済 / 差戻し / 確定", "actuals confirmed",
                    "actuals with comments"], rounds), "",
        ]
    return lines


def engine_section() -> list[str]:
    result = load("engine")
    if not result:
        return []
    counts = result["evaluations"]
    return [
        "## The engine alone", "",
        "`python -m benchmarks.engine`: every indicator-year of the national data set that has",
        "a target, read into memory first; then only `indicators.achievement` runs (evaluate,",
        f"status mark, rollup). Fastest of {result['runs']} passes.", "",
        *table(["indicator-years", "time", "per second", "達成", "未達成", "未入力",
                "評価対象外"],
               [[number(result["indicator_years"]), f"{result['seconds']} s",
                 f"**{number(result['per_second'])}**", number(counts["achieved"]),
                 number(counts["not_achieved"]), number(counts["pending"]),
                 number(counts["not_measured"])]]), "",
    ]


def import_section() -> list[str]:
    paths, others = [], []
    for vendor, label in DATABASES:
        result = load(f"import-{vendor}")
        if not result:
            continue
        floor = f"{result['openpyxl_read_only_s']} s"
        ratio = result["ratio_new_median"]
        paths.append([label, "command `import_actuals`", floor,
                      f"{result['import_new_rows_s']} s", f"**{ratio}×**",
                      verdict(ratio <= IMPORT_GOAL)])
        other = [label, f"{result['import_unchanged_rows_s']} s",
                 f"{result['ratio_unchanged_median']}×"]
        if "admin_new_rows_s" in result:
            ratio = result["admin_ratio_new_median"]
            paths.append([label, "admin: preview + confirm", floor,
                          f"{result['admin_new_rows_s']} s", f"**{ratio}×**",
                          verdict(ratio <= IMPORT_GOAL)])
            other += [f"{result['admin_preview_s']} s",
                      f"{result['admin_ratio_preview_median']}×",
                      f"{result['admin_confirm_s']} s",
                      f"{result['admin_ratio_confirm_median']}×"]
        else:
            paths.append([label, "admin: preview + confirm", floor, "not measured", "—", "—"])
            other += ["not measured", "—", "not measured", "—"]
        others.append(other)
    if not paths:
        return []
    return [
        "## Importing actuals (spreadsheet issue)", "",
        "`python -m benchmarks.import_actuals`: an .xlsx of 10,000 actual rows (2,500 synthetic",
        "KGIs × R8–R11, typed the way departments type) imported whole, each timing paired with",
        "openpyxl alone reading the same file; median ratio of 7 pairs, fastest times. Two paths",
        "write the file the same way (read, check every row, write every row and its history",
        "row in one transaction): the `import_actuals` command, and the admin's import through",
        "Django's test client in process as a signed-in superuser: its preview step (the upload",
        "kept, read, checked, and its first 200 rows rendered for review) and its confirm step",
        "(the preview's read of the file taken from the cache, every row checked again, then",
        "written). The admin's figure is both steps together.",
        f"Goal of the spreadsheet issue: at most {IMPORT_GOAL}× openpyxl, for each path. Each",
        "database has its own throw-away database.", "",
        *table(["database", "path", "openpyxl alone", "import, 10,000 new rows", "ratio",
                f"≤ {IMPORT_GOAL}×"], paths), "",
        *table(["database", "command, 10,000 unchanged rows", "ratio",
                "admin preview step, new rows", "ratio", "admin confirm step, new rows",
                "ratio"], others), "",
    ]


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.0095 else f"{seconds * 1000:.1f} ms"


def hostile_section() -> list[str]:
    results = {vendor: load(f"hostile-{vendor}") for vendor, _ in DATABASES}
    files = next((result for result in results.values() if result), None)
    if files is None:
        return []
    runs = files["runs"]
    goal_s, goal_mib = files["refuse_goal_s"], files["memory_goal_mib"]
    slowest = next(item for item in files["hostile"] if item["name"] == files["slowest_refusal"])
    largest = next(item for item in files["hostile"] if item["name"] == files["largest_growth"])
    lines = [
        "## Hostile uploads and the 20,000-row import (issue 12)", "",
        "`python -m benchmarks.hostile_uploads`: each hostile file of",
        "`tests/spreadsheets/hostile_files.py`, built at up to 5 MB, read by",
        "`spreadsheets.reading.read_sheet` in a fresh Python (as the tests do): the time to its",
        "refusal and how far the process's peak memory (VmHWM) grew over its own baseline,",
        f"fastest time and largest growth of {runs} reads. Goal of issue 12: every refusal within",
        f"{goal_s:g} s and {goal_mib:g} MB. The message is the one the user sees.", "",
        *table(["file", "size", "refused in", "memory growth", "message"],
               [[item["name"], kib(item["file_bytes"]), milliseconds(item["seconds"]),
                 f"{item['growth_mib']} MiB", item["message"]] for item in files["hostile"]]),
        "",
        f"Slowest refusal: **{slowest['name']}**, {milliseconds(slowest['seconds'])}; most "
        f"memory: **{largest['name']}**, {largest['growth_mib']} MiB "
        f"({verdict(files['goal_met'])}).", "",
        "The largest files the limits let through, one at each limit, read the same way: what a",
        "file crafted to pass every check can still cost a worker.", "",
        *table(["file", "size", "read in", "memory growth"],
               [[item["name"], kib(item["file_bytes"]), milliseconds(item["seconds"]),
                 f"{item['growth_mib']} MiB"] for item in files["limits"]]),
        "",
    ]
    rows = [
        [f"{label}, {kind}", number(result["admin"]["rows"]), kib(result["admin"]["file_bytes"]),
         *(f"{result['admin'][prefix + step]} s"
           for step in ("preview_s", "confirm_s", "both_s"))]
        for vendor, label in DATABASES if (result := results[vendor])
        for kind, prefix in (("new rows", ""), ("every row changes a stored one", "changed_"))
        if f"{prefix}preview_s" in result["admin"]
    ]
    lines += [
        "The admin import of a valid file at the row limit (5,000 synthetic KGIs × R8–R11, as",
        "`benchmarks.import_actuals` builds it) through Django's test client in process as a",
        f"signed-in superuser: preview step and confirm step, fastest of {runs}; then the same",
        "rows with every value changed (the slowest valid import: each row rewrites a stored",
        "actual, locked and version-checked). Goal of issue 12: well inside a 30 s worker",
        "timeout.", "",
        *table(["database", "rows", "file", "preview", "confirm", "both"], rows), "",
    ]
    return lines


def load_section() -> list[str]:
    result = load("load-postgresql")
    if not result:
        return ["## Load run", "", "*Not measured in this run.*", ""]
    errors = result["errors"]
    error_text = ", ".join(
        f"{kind} {count}" for kind, count in errors.items()
        if kind not in ("total", "not_200_by_status") and count
    ) or "none"
    cpu = result.get("cpu", {})
    lines = [
        "## Load run: gunicorn and PostgreSQL under 50 concurrent users", "",
        f"`python -m benchmarks.load`: the app under gunicorn {result['gunicorn_version']}",
        f"({result['workers']} sync workers, DEBUG off) on PostgreSQL with the national data set;",
        f"wrk {result['wrk_version']} on loopback with {result['connections']} connections, each",
        "a user sending its next request as soon as the last is answered (no think time), for",
        f"{result['seconds']} s after a warm-up. Requests are drawn over "
        f"{result['plans_requested']:,}",
        "random plans; 80% as the system administrator, 20% as a city's DX office on its own",
        "plan. An error is any answer but 200, or a socket error or time-out.", "",
        *table(["requests", "requests/s", "p50", "p95", "p99", "errors", "server errors"],
               [[number(result["requests"]), f"**{number(result['rps'], 1)}**",
                 f"{result['p50_ms']:,} ms", f"**{result['p95_ms']:,} ms**",
                 f"{result['p99_ms']:,} ms", f"**{errors['total']}** ({error_text})",
                 str(result["server_errors"]["total"])]]), "",
        "Latency is wrk's, at the client: with 50 users and no think time it is mostly the",
        "wait for one of the 4 workers (about 50 ÷ requests per second). The server time of",
        "each kind of request, from gunicorn's access log, excludes that wait:", "",
        *table(["request", "share", "served", "server p50", "server p95"],
               [[f"{kind['kind']} `{kind['url']}`", f"{kind['share']:.0%}",
                 number(kind["served"]), f"{kind['server_p50_ms']} ms",
                 f"{kind['server_p95_ms']} ms"] for kind in result["mix"]]), "",
    ]
    if cpu:
        lines += [
            (f"CPU seconds during the run: gunicorn {cpu['gunicorn']}, PostgreSQL "
             f"{cpu['postgresql']}, wrk {cpu['wrk']}, anything else {cpu['other']} (machine "
             f"busy {cpu['machine_busy_share']:.0%} of the time)."), "",
        ]
    return lines


def transfer_section() -> tuple[list[str], dict | None]:
    result = None
    for vendor, _ in reversed(DATABASES):
        result = result or load(f"transfer-{vendor}")
    if not result:
        return ["## Dashboard transfer size", "", "*Not measured in this run.*", ""], None
    lines = [
        "## Dashboard transfer size", "",
        ("`python -m benchmarks.transfer`: headless Chromium "
         f"({result.get('chromium', '')}) logs in through the login form of the app under"),
        "gunicorn (DEBUG off, static files from WhiteNoise) and opens a dashboard. Bytes on the",
        "wire (compressed, headers included) as Chromium's network events report them; a",
        "response from the browser's cache counts 0. First load: empty cache. Repeat load:",
        "another page, then the dashboard again. Reload: the browser's reload.", "",
    ]
    rows = []
    for dashboard in result["dashboards"]:
        for name, label in (("first", "first load"), ("repeat", "repeat load"),
                            ("reload", "reload")):
            figures = dashboard["loads"].get(name)
            if figures:
                rows.append([f"`{dashboard['url']}` ({dashboard['indicators']} KGIs)", label,
                             f"**{kib(figures['bytes'])}**", kib(figures["body_bytes"]),
                             str(figures["requests"]), str(figures["from_cache"])])
    lines += table(["dashboard", "load", "transferred", "decoded", "requests", "from cache"],
                   rows)
    first = result["dashboards"][0]["loads"]["first"]["resources"]
    lines += ["", "First load of the first dashboard, by resource:", "",
              *table(["resource", "transferred", "decoded", "encoding", "Cache-Control"],
                     [[f"`{item['path']}`", kib(item["bytes"]), kib(item["body_bytes"]),
                       item.get("content_encoding") or "none",
                       item.get("cache_control") or "none"] for item in first])]
    return [*lines, "", *public_transfer_lines(result)], result


def budgets_section(national: dict, transfer: dict | None) -> list[str]:
    rows = []
    data = national.get("postgresql")
    if data:
        pages = {page["name"]: page for page in data["pages"]}
        small = {page["name"]: page for page in load("pages-postgresql")["small"]["pages"]}
        reads = [page for page in data["pages"] if page.get("method", "GET") == "GET"]
        most = max(page["queries"] for page in reads)
        differing = [
            f"{page['name']} {small[page['name']]['queries']} → {page['queries']}"
            for page in reads
            if page["name"] in small and page["queries"] != small[page["name"]]["queries"]
        ]
        rows.append([f"queries per page constant and ≤ {MAX_QUERIES}",
                     f"at most {most}; "
                     + ("each page the same at 16 KGIs and at national size" if not differing
                        else "**not the same at both sizes:** " + ", ".join(differing)),
                     verdict(most <= MAX_QUERIES and not differing)])
        dashboard = pages["ダッシュボード"]["p95_ms"]
        rows.append([f"dashboard p95 ≤ {DASHBOARD_P95_MS} ms", f"{dashboard} ms",
                     verdict(dashboard <= DASHBOARD_P95_MS)])
        printed = pages["印刷用ページ"]["p95_ms"]
        rows.append([f"print page p95 ≤ {PRINT_P95_MS} ms", f"{printed} ms",
                     verdict(printed <= PRINT_P95_MS)])
        # "Pages that list many plans ... stay within the same budgets":
        # held to the dashboard's.
        for name in ("ホーム", "管理画面 実績値一覧"):
            p95 = pages[name]["p95_ms"]
            rows.append([f"{name} (lists many plans) p95 ≤ {DASHBOARD_P95_MS} ms",
                         f"{p95} ms (p50 {pages[name]['p50_ms']} ms)",
                         verdict(p95 <= DASHBOARD_P95_MS)])
        rows += round_budgets(pages, small, load("pages-postgresql")["small"].get("round"),
                              data.get("round"))
    else:
        rows.append(["pages at national size on PostgreSQL", "not measured", "—"])
    result = load("load-postgresql")
    if result:
        rows.append(["zero errors under the load run", str(result["errors"]["total"]),
                     verdict(result["errors"]["total"] == 0)])
    else:
        rows.append(["zero errors under the load run", "not measured", "—"])
    if transfer:
        repeat = max(
            dashboard["loads"][name]["bytes"] for dashboard in transfer["dashboards"]
            for name in ("repeat", "reload")
        )
        rows.append(["dashboard repeat load < 150 kB", f"{kib(repeat)} (largest repeat or reload)",
                     verdict(repeat < REPEAT_LOAD_BYTES)])
    else:
        rows.append(["dashboard repeat load < 150 kB", "not measured", "—"])
    rows += public_budget_rows(transfer)
    return ["## Budgets (issues 6, 14 and 15: national size, PostgreSQL, this machine)", "",
            *table(["budget", "measured", ""], rows), ""]


def round_budgets(
    pages: dict, small: dict, small_round: dict | None, round_: dict | None
) -> list[list[str]]:
    """Issue 14's rows: the round's pages' p95, and the save's constant queries."""
    rows = []
    for name in ROUND_PAGES:
        page = pages.get(name)
        if page is None:
            rows.append([f"{name} p95 ≤ {ROUND_P95_MS} ms (issue 14)", "not measured", "—"])
            continue
        rows.append([f"{name} p95 ≤ {ROUND_P95_MS} ms (issue 14)",
                     f"{page['p95_ms']} ms (p50 {page['p50_ms']} ms)",
                     verdict(page["p95_ms"] <= ROUND_P95_MS)])
    save, before = pages.get(SAVE), small.get(SAVE)
    if save is None or before is None or round_ is None or small_round is None:
        rows.append(["saving a department page: constant queries (issue 14)", "not measured",
                     "—"])
    else:
        rows.append([
            "saving a department page: constant queries (issue 14; 5 and 40 KGIs in "
            "tests/reporting/test_department_page.py)",
            f"{before['queries']} ({small_round['department_kgis']} KGIs, ise-2) and "
            f"{save['queries']} ({round_['department_kgis']} KGIs); p95 {save['p95_ms']} ms, "
            "no time budget",
            verdict(before["queries"] == save["queries"]),
        ])
    return rows


def main() -> None:
    pages, national = pages_section()
    transfer, transfer_result = transfer_section()
    lines = [
        "# Performance", "",
        "<!-- Generated by `make bench` (benchmarks/report.py); edit benchmarks/notes.md",
        "     for the analysis below the figures, not this file. -->", "",
        "Speed targets are measured by the benchmarks under `benchmarks/`, never by timed",
        "tests. `make bench` runs them on SQLite and on a throw-away PostgreSQL cluster (the",
        "one `make test` starts, with fsync off: figures for reads and for the CPU side of",
        "writes, not for disk durability), then writes this file. The figures below are from",
        "one run, unless the times below differ (a benchmark run alone later; the notes at",
        "the end say which):", "",
        *machine(), "",
        *budgets_section(national, transfer_result),
        *pages, *generate_section(), *engine_section(), *load_section(), *transfer,
        *publication_section(),
        *import_section(), *hostile_section(),
    ]
    if NOTES.exists():
        lines += [NOTES.read_text().rstrip(), ""]
    OUTPUT.write_text("\n".join(lines).rstrip() + "\n")
    print(f"wrote {OUTPUT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
