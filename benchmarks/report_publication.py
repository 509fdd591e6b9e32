"""The publication part of docs/performance.md (issue 15): editions and public pages.

Read by :mod:`benchmarks.report` from ``publication-postgresql.json``
(:mod:`benchmarks.publication`), the ``public_vs_dashboard`` part of
``load-postgresql.json`` and the ``public`` part of the transfer results.
"""

from __future__ import annotations

from benchmarks.report_common import kib, load, number, table, verdict

PUBLIC_RATIO = 5
PUBLIC_BYTES = 300_000


def publication_section() -> list[str]:
    result = load("publication-postgresql")
    if not result:
        return ["## Meeting editions and public pages", "", "*Not measured in this run.*", ""]
    freeze, publish = result["freeze"], result.get("publish")
    lines = [
        "## Meeting editions and public pages (issue 15)", "",
        "`python -m benchmarks.publication` on PostgreSQL with the national data set "
        f"({number(result['plans'])} plans).", "",
        f"**Freezing an edition** (会議資料版) of a plan-year of {freeze['kgis']} KGIs: the "
        "snapshot, the three pages, the 評価表 and the changes, in one transaction; "
        f"{freeze['count']} synthetic plans.", "",
        *table(["p50", "p95", "max", "queries", "snapshot", "pages", "評価表"],
               [[f"{freeze['p50_ms']} ms", f"**{freeze['p95_ms']} ms**",
                 f"{freeze['max_ms']} ms", str(freeze["queries"]),
                 kib(freeze["data_bytes"]), kib(freeze["pages_bytes"]),
                 kib(freeze["workbook_bytes"])]]), "",
    ]
    if publish:
        lines += [
            f"**Publishing** renders the publication's {publish['pages']} public pages into the "
            f"shared cache in its transaction; {publish['count']} publications: p50 "
            f"{publish['p50_ms']} ms, p95 {publish['p95_ms']} ms.", "",
        ]
    lines += [
        "**Public pages in process** (Django's test client, no login): *cold* empties the "
        "rendered-page cache before each request (every request renders), *warm* is what a "
        "citizen meets after publication.", "",
        *table(["page", "bytes", "cold p50", "cold p95", "cold queries", "warm p50",
                "warm p95", "warm queries"],
               [[f"{page['name']} `{page['url']}`", number(page["bytes"]),
                 f"{page['cold']['p50_ms']} ms", f"{page['cold']['p95_ms']} ms",
                 str(page["cold"]["queries"]), f"{page['warm']['p50_ms']} ms",
                 f"**{page['warm']['p95_ms']} ms**", str(page["warm"]["queries"])]
                for page in result["public_pages"]]), "",
    ]
    compared = (load("load-postgresql") or {}).get("public_vs_dashboard")
    if compared:
        lines += [
            "**Public pages against the dashboard under load** (`benchmarks.load`, two more "
            f"wrk runs of {compared['public']['seconds']} s, same 50 connections and 4 "
            "workers): only dashboards of random plans as the system administrator; only "
            f"public plan-year and KGI pages of the {result['published']} publications, with a "
            "made-up session cookie.", "",
            *table(["run", "requests", "requests/s", "p50", "p95", "errors"],
                   [[name, number(compared[key]["requests"]),
                     f"**{number(compared[key]['rps'], 1)}**",
                     f"{compared[key]['p50_ms']:,} ms", f"{compared[key]['p95_ms']:,} ms",
                     str(compared[key]["errors"]["total"])]
                    for key, name in (("dashboard", "dashboard"), ("public", "public pages"))]),
            "", f"Ratio: **{compared['ratio']}×**.", "",
        ]
    return lines


def public_transfer_lines(transfer: dict | None) -> list[str]:
    pages = (transfer or {}).get("public") or []
    if not pages:
        return []
    return [
        "Public pages on a phone (`benchmarks.transfer`, Chromium's "
        f"{pages[0]['device']} emulation, no login, empty cache):", "",
        *table(["page", "load", "transferred", "decoded", "requests"],
               [[f"{page['name']} `{page['url']}`", label,
                 f"**{kib(page['loads'][name]['bytes'])}**",
                 kib(page["loads"][name]["body_bytes"]), str(page["loads"][name]["requests"])]
                for page in pages
                for name, label in (("first", "first load"), ("reload", "reload"))]), "",
    ]


def public_budget_rows(transfer: dict | None) -> list[list[str]]:
    rows = []
    pages = (transfer or {}).get("public") or []
    if pages:
        largest = max(page["loads"]["first"]["bytes"] for page in pages)
        rows.append(["public page first load on a phone ≤ 300 kB (issue 15)",
                     f"{kib(largest)} (largest)", verdict(largest <= PUBLIC_BYTES)])
    else:
        rows.append(["public page first load on a phone ≤ 300 kB (issue 15)", "not measured",
                     "—"])
    compared = (load("load-postgresql") or {}).get("public_vs_dashboard")
    if compared:
        errors = compared["public"]["errors"]["total"] + compared["public"]["server_errors"][
            "total"]
        rows.append([
            f"public pages ≥ {PUBLIC_RATIO}× the dashboard's requests/s, zero errors (issue 15)",
            f"{compared['ratio']}× ({number(compared['public']['rps'], 1)} against "
            f"{number(compared['dashboard']['rps'], 1)}), {errors} errors",
            verdict(compared["ratio"] >= PUBLIC_RATIO and errors == 0),
        ])
    else:
        rows.append([f"public pages ≥ {PUBLIC_RATIO}× the dashboard's requests/s (issue 15)",
                     "not measured", "—"])
    return rows
