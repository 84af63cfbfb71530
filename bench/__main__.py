"""`python -m bench [--quick] [--json] [--only engine,adapters,...]`: every benchmark, one table (or one JSON object).

Sections: form (bench/form.py: merchant actions per case, before and after), engine (bench/engine.py), adapters (bench/adapters.py), documents (bench/documents.py),
ocr (bench/ocr.py), memory (bench/memory.py), scale (bench/scale.py), parsing (bench/parsing.py),
miniapp (bench/miniapp.py), waits (bench/waits.py; with the ocr and scale figures it makes the table "what a merchant waits for").
`--quick` runs a small
version of each (CI: it checks that they run and that no update is lost or applied twice; it
never judges a time). The exit status is 1 only for real errors: a section that failed, an update
lost or applied twice, a reply lost under the shared rate limit.

PostgreSQL: --postgres URL (default BENCH_DATABASE_URL, TEST_DATABASE_URL, or the local server);
a scratch schema is created and dropped. Redis (the shared limiter check): --redis URL (default
the local server); without it that check is skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import traceback

SECTIONS = (
    "form",
    "engine",
    "adapters",
    "documents",
    "ocr",
    "memory",
    "scale",
    "parsing",
    "miniapp",
    "waits",
)
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), ""
            )
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            kb = int(next(line for line in info if line.startswith("MemTotal")).split()[1])
            memory = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{model or platform.processor() or platform.machine()}, {os.cpu_count()} cores{memory}, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"load average {load:.1f} at the start"
    )


def _reachable_postgres(url: str) -> str | None:
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(url)
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
        return None
    except Exception as exc:  # the figures that need it are skipped, with the reason
        return f"PostgreSQL unreachable at {url}: {type(exc).__name__}"


def _section(name: str, args, pg_url: str | None, redis_url: str | None) -> dict:
    quick = args.quick
    if name == "form":
        from bench import form

        return form.run()
    if name == "engine":
        from bench import engine

        cases = 3 if quick else 40
        out = {"sqlite": engine.run(None, cases)}
        out["postgres"] = engine.run(pg_url, cases) if pg_url else {"skipped": "no PostgreSQL"}
        return out
    if name == "adapters":
        from bench import adapters

        return adapters.run(2 if quick else 20)
    if name == "documents":
        from bench import documents

        result = documents.run(passes=2 if quick else 3)
        seconds = [r["seconds"] for r in result["rows"] if "seconds" in r]
        return {
            "seconds": round(result["seconds"], 3),
            "first_pass_seconds": round(result["first_pass_seconds"], 3),
            "slowest_output_seconds": round(max(seconds), 3),
            "max_pdf_kb": round(result["max_pdf_kb"], 1),
            "pack_kb": round(result["pack_kb"], 1),
            "pdf_files": result["pdf_files"],
            "docx_files": result["docx_files"],
            "outputs": result["outputs"],
            "files": [
                {k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}
                for row in result["rows"]
            ],
        }
    if name == "ocr":
        from bench import ocr

        result = ocr.run(4, 0, ("v6",), n_pdf=1) if quick else ocr.run(64, 0)
        print(ocr.report(result), file=sys.stderr)
        keep = ("slip_accuracy", "notice_accuracy", "precision", "median_s", "median_cpu_s", "p90_s", "best")
        out = {k: (round(result[k], 4) if isinstance(result.get(k), float) else result.get(k)) for k in keep}
        out["load"] = [round(result["load_start"], 1), round(result["load_end"], 1)]
        out["pdf"] = {k: round(v, 4) if isinstance(v, float) else v for k, v in result["pdf"].items()}
        out["models"] = {
            m: {
                k: (round(v, 4) if isinstance(v, float) else v) for k, v in e["held_out"].items() if k in keep
            }
            if "held_out" in e
            else e
            for m, e in result["models"].items()
        }
        return out
    if name == "memory":
        from bench import memory

        return memory.run(quick)
    if name == "scale":
        if not pg_url:
            return {"skipped": "no PostgreSQL"}
        try:
            from bench import scale
        except ImportError:  # pragma: no cover - until bench/scale.py lands
            return {"skipped": "bench/scale.py is not there yet"}
        return scale.run(pg_url, redis_url, quick=quick)
    if name == "waits":
        from bench import waits

        return waits.run(quick)
    if name == "parsing":
        from bench import parsing

        return parsing.run()
    if name == "miniapp":
        import shutil

        if not shutil.which("chromium"):
            return {"skipped": "chromium is not installed (apt-get install -y chromium)"}
        from bench import miniapp

        return miniapp.run(2 if quick else 7)
    raise ValueError(name)


def _get(data: dict, *path: str):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def table(result: dict) -> str:
    """The headline figures against the goals of issue 7."""
    rows: list[tuple[str, str, object, str]] = []

    def add(section: str, label: str, path: tuple[str, ...], goal: str = "") -> None:
        value = _get(result, *path)
        if value is not None:
            rows.append((section, label, value, goal))

    for row in _get(result, "form", "cases") or []:
        before = row["before"]
        label = f"{row['case']}: actions" + (f" ({before} before)" if before else "")
        rows.append(
            ("form", label, row["after"] if row["passed"] else "FAILED", f"≤ {before // 2}" if before else "")
        )
    for db in ("sqlite", "postgres"):
        goal = db == "sqlite"
        add("engine", f"{db}: updates/s (wall)", ("engine", db, "updates_per_s"), "≥ 1000" if goal else "")
        add(
            "engine",
            f"{db}: updates per CPU-second",
            ("engine", db, "updates_per_cpu_s"),
            "≥ 1000/core" if goal else "",
        )
        add("engine", f"{db}: p50 ms", ("engine", db, "p50_ms"))
        add("engine", f"{db}: p99 ms", ("engine", db, "p99_ms"), "≤ 5" if goal else "")
        add("engine", f"{db}: p99 ms without date answers", ("engine", db, "p99_ms_without_dates"))
        add("engine", f"{db}: p99 CPU ms", ("engine", db, "p99_cpu_ms"))
    for fw in ("ptb", "aiogram"):
        add("adapters", f"{fw}: ours ms (median)", ("adapters", fw, "ours_ms"))
        add("adapters", f"{fw}: echo ms (median)", ("adapters", fw, "echo_ms"))
        add("adapters", f"{fw}: ours/echo", ("adapters", fw, "ratio"), "≤ 3")
    add("documents", "all outputs + pack, warm (s)", ("documents", "seconds"), "≤ 1")
    add("documents", "first pass, no warm-up (s)", ("documents", "first_pass_seconds"))
    add("documents", "slowest single output (s)", ("documents", "slowest_output_seconds"))
    add("documents", "largest PDF (KB)", ("documents", "max_pdf_kb"))
    add("documents", "evidence pack (KB)", ("documents", "pack_kb"))
    add("ocr", "held-out slip fields right", ("ocr", "slip_accuracy"), "≥ 0.97")
    add("ocr", "held-out notice fields right", ("ocr", "notice_accuracy"), "≥ 0.95")
    add("ocr", "precision", ("ocr", "precision"), "≥ 0.995")
    add("ocr", "median s per photo", ("ocr", "median_s"), "≤ 1")
    add("ocr", "median CPU s per photo", ("ocr", "median_cpu_s"))
    add("ocr", "PDF text layer fields right", ("ocr", "pdf", "text_accuracy"))
    add("ocr", "scanned PDF fields right", ("ocr", "pdf", "scan_accuracy"))
    for model in ("v6", "v4"):
        add("ocr", f"{model}: slip fields right", ("ocr", "models", model, "slip_accuracy"))
        add("ocr", f"{model}: notice fields right", ("ocr", "models", model, "notice_accuracy"))
        add("ocr", f"{model}: precision", ("ocr", "models", model, "precision"))
        add("ocr", f"{model}: median s per photo", ("ocr", "models", model, "median_s"))
    add("memory", "idle MB (ptb)", ("memory", "idle_mb"), "≤ 120")
    add("memory", "after 10,000 stored cases MB", ("memory", "cases_10k_mb"))
    add("memory", "after the documents warm-up MB", ("memory", "after_warm_up_mb"))
    add("memory", "with the OCR model MB", ("memory", "with_ocr_mb"))
    add("memory", "idle MB (aiogram)", ("memory", "aiogram", "idle_mb"))
    add("scale", "1 worker: updates/s", ("scale", "one", "updates_per_s"))
    add("scale", "2 workers: updates/s", ("scale", "two", "updates_per_s"))
    add("scale", "ratio 2/1", ("scale", "ratio_2_to_1"), "≥ 1.7")
    add("scale", "aiogram 1 worker: updates/s", ("scale", "aiogram", "one", "updates_per_s"))
    add("scale", "aiogram 2 workers: updates/s", ("scale", "aiogram", "two", "updates_per_s"))
    add("scale", "aiogram ratio 2/1", ("scale", "aiogram", "ratio_2_to_1"), "≥ 1.7")
    add("scale", "updates lost", ("scale", "lost"), "0")
    add("scale", "updates applied twice", ("scale", "duplicated"), "0")
    add("scale", "limit: max msgs in any 1 s", ("scale", "limiter", "max_per_1s"), "≈ 30")
    add("scale", "limit: msgs/s sustained", ("scale", "limiter", "sent_per_s"), "≈ 30")
    add("scale", "limit: replies lost", ("scale", "limiter", "lost"), "0")
    add("scale", "in-process limits, 2 workers: msgs/s", ("scale", "limiter_unshared", "sent_per_s"))
    for name in ("dev", "heldout", "heldout2", "heldout3"):
        for key in sorted(_get(result, "parsing", name, "rates") or {}):
            add("parsing", f"{name}: {key} (n={result['parsing'][name]['rates'][key]['n']})",
                ("parsing", name, "rates", key, "rate"), "≥ 0.95")  # fmt: skip
    add("miniapp", "case page first load KB", ("miniapp", "kb"), "≤ 300")
    add("miniapp", "first load s (fresh server)", ("miniapp", "first_s"), "≤ 1")
    add("miniapp", "load s (median)", ("miniapp", "median_s"), "≤ 1")
    width = max(len(label) for _, label, _, _ in rows) if rows else 10
    lines = [f"{'section':<10} {'figure':<{width}} {'value':>10}  goal", "-" * (width + 30)]
    for section, label, value, goal in rows:
        shown = f"{value:.3g}" if isinstance(value, float) and abs(value) < 1000 else str(value)
        lines.append(f"{section:<10} {label:<{width}} {shown:>10}  {goal}")
    for name in SECTIONS:
        for key in ("skipped", "error"):
            if isinstance(result.get(name), dict) and key in result[name]:
                lines.append(f"{name:<10} {key}: {result[name][key]}")
    return "\n".join(lines)


def waits_table(result: dict) -> str:
    """What a merchant waits for, wall and CPU, with the load average when each was measured."""
    rows: list[tuple[str, object, object, str, object]] = []
    scale = result.get("scale") or {}
    docs = _get(result, "waits", "documents") or {}
    for workers, key in ((1, "one"), (2, "two")):
        for lang in ("zh", "en"):
            for q in ("p50", "p99"):
                value = _get(scale, key, "reply_ms", lang, q)
                if value is not None:
                    load = _get(scale, key, "load_average")
                    label = f"reply {q} ms, {workers} worker{'s' if workers > 1 else ''}, {lang}"
                    rows.append((label, value, None, "", load[0] if load else None))
    for lang in ("zh", "en"):
        warm, cold = _get(docs, lang, "warm") or {}, _get(docs, lang, "cold") or {}
        if warm:
            rows.append(
                (
                    f"first documents after a start, {lang} (s)",
                    *_wc(warm["first"]),
                    "≤ 1.5",
                    warm["load_average"],
                )
            )
        if cold:
            rows.append(("  same, no warm-up (baseline) (s)", *_wc(cold["first"]), "", cold["load_average"]))
        if warm:
            rows.append((f"all documents warm, {lang} (s)", *_wc(warm["warm"]), "≤ 1", warm["load_average"]))
    warm_up = _get(docs, "zh", "warm", "warm_up")
    if warm_up:
        rows.append(
            (
                "start-up warm-up, in the background (s)",
                *_wc(warm_up),
                "",
                _get(docs, "zh", "warm", "load_average"),
            )
        )
    ocr = result.get("ocr") or {}
    if "median_s" in ocr:
        rows.append(
            (
                "OCR per photo, median (s), any language",
                ocr["median_s"],
                ocr.get("median_cpu_s"),
                "",
                ocr.get("load_average"),
            )
        )
    for framework, base in (("ptb", scale), ("aiogram", scale.get("aiogram") or {})):
        for workers, key in ((1, "one"), (2, "two")):
            value = _get(base, key, "cpu_ms_per_update", "workers")
            if value is not None:
                load = _get(base, key, "load_average")
                label = f"worker CPU ms per update, {framework}, {workers} worker{'s' if workers > 1 else ''}"
                rows.append((label, None, value, "", load[0] if load else None))
    if not rows:
        return ""
    width = max(len(r[0]) for r in rows)
    lines = [
        "",
        "what a merchant waits for",
        f"machine: {result.get('machine', '')}",
        f"{'figure':<{width}} {'wall':>8} {'CPU':>8}  {'goal':<6} load avg",
        "-" * (width + 36),
    ]
    for label, wall, cpu, goal, load in rows:
        lines.append(f"{label:<{width}} {_fmt(wall):>8} {_fmt(cpu):>8}  {goal:<6} {_fmt(load)}")
    return "\n".join(lines)


def _wc(figures: dict) -> tuple[object, object]:
    return figures.get("s"), figures.get("cpu_s")


def _fmt(value: object) -> str:
    if isinstance(value, list):  # a load average: the 1-minute figure
        value = value[0] if value else None
    if value is None:
        return ""
    return f"{value:.3g}" if isinstance(value, float) and abs(value) < 1000 else str(value)


def failures(result: dict) -> list[str]:
    """What makes the run fail: errors and correctness checks, never a time."""
    found = [f"{name}: {result[name]['error']}" for name in SECTIONS if "error" in result.get(name, {})]
    found += [f"form: {r['case']} failed" for r in _get(result, "form", "cases") or [] if not r["passed"]]
    scale = result.get("scale", {})
    for key in ("lost", "duplicated"):
        if scale.get(key):
            found.append(f"scale: {scale[key]} updates {key}")
    if _get(scale, "limiter", "lost"):
        found.append(f"scale: {scale['limiter']['lost']} replies lost under the shared rate limit")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small version of each (CI)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--only", help="comma-separated sections: " + ",".join(SECTIONS))
    parser.add_argument("--postgres", help="PostgreSQL URL (a scratch schema is used)")
    parser.add_argument("--redis", help="Redis URL for the shared-limiter check")
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.only.split(",")] if args.only else list(SECTIONS)
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    pg_url = (
        args.postgres
        or os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("TEST_DATABASE_URL")
        or LOCAL_POSTGRES
    )
    why = _reachable_postgres(pg_url)
    if why:
        print(why, file=sys.stderr)
        pg_url = None
    redis_url = args.redis or os.environ.get("BENCH_REDIS_URL") or LOCAL_REDIS
    result: dict = {"machine": machine(), "quick": args.quick}
    started = time.perf_counter()
    for name in sections:
        t0 = time.perf_counter()
        print(f"bench: {name}…", file=sys.stderr, flush=True)
        try:
            result[name] = _section(name, args, pg_url, redis_url)
            if isinstance(result[name], dict) and hasattr(os, "getloadavg"):
                result[name].setdefault("load_average", [round(x, 1) for x in os.getloadavg()])
        except Exception as exc:
            traceback.print_exc()
            result[name] = {"error": f"{type(exc).__name__}: {exc}"}
        print(f"bench: {name} took {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    result["machine"] += f", {load:.1f} at the end"
    result["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"machine: {result['machine']}")
        print(table(result))
        print(waits_table(result))
    problems = failures(result)
    for problem in problems:
        print(f"bench: FAILED {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
