"""Real pages of other outlets: ``extract_article`` vs trafilatura, per source and field.

    .venv/bin/python bench/bench_realpages.py                          # all 540 pages, the markdown table
    .venv/bin/python bench/bench_realpages.py --source fundus --show-misses authors
    .venv/bin/python bench/bench_realpages.py --show-misses dates --lost   # only where trafilatura was right
    .venv/bin/python bench/bench_realpages.py --data DIR --no-cache
    .venv/bin/python bench/bench_realpages.py --timing                 # + both timed fresh, side by side

The pages and their gold live beside the project (``../shared/data/real_pages``, its README: sources,
licences, schema, scoring); they are third-party content and never enter the repository. Scoring follows
that README exactly:

- title: equal after NFKC, invisible format characters dropped, whitespace collapsed;
- date: same day; when both sides carry a time and a UTC offset, ours is moved into the gold's offset first;
- authors: equal sets after NFKC + casefold, names split on ``; , &`` and "and/und/et/y/e/og/och", each
  part reduced to its ``\\w+`` words, a leading "by/von/par/por/door" dropped;
- body: bag-of-tokens F1 (``\\w+`` runs of the NFKC text; Han, kana and Thai one token a character) between
  the main text (without the title) and the gold; a page with no record scores 0;
- snippets: a page passes when every ``with`` string is in the main text and no ``without`` string is.

trafilatura runs as the README's reference does (``bare_extraction(page, url=url, with_metadata=True,
include_comments=False, include_tables=True)``, the page's bytes, or its text decoded with ``encoding`` when
the gold names one). Its outputs are cached outside the repository (``--cache``, default in the temp dir,
keyed by trafilatura's version and the page's bytes): they do not change while we iterate on ours.

``--timing`` runs trafilatura fresh on every page (never from the cache), right after ours on the same bytes
in the same process, and reports both medians and totals and their ratio — for the first pass (cold: each
side's first page of a language compiles its date parser's patterns, ours first, so ours pays for the
caches both share) and for a second pass over the same pages (warm, as a crawl of thousands of pages runs).
The table also counts the stage that gave our body (``density`` or the ``trafilatura`` fallback) per page.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import re
import statistics
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from crawler.extract import extract_with_trace  # noqa: E402

DATA_DEFAULT = REPO.parent / "shared" / "data" / "real_pages"
SOURCES = ("fundus", "trafilatura", "htmldate", "scrapinghub")
FIELDS = ("titles", "dates", "authors", "body", "snippets")
CACHE = Path(tempfile.gettempdir()) / "arshif-realpages-trafilatura.json"


# ---------------------------------------------------------------------------------------------
# Scoring (README of the data set, "Scoring conventions")


_SPACE = re.compile(r"\s+")


def norm_text(text: str) -> str:
    """NFKC, invisible format characters (soft hyphen, zero-width, bidi marks, BOM) dropped, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text or "")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return _SPACE.sub(" ", text).strip()


def title_ok(gold: str, got: str | None) -> bool:
    return bool(got) and norm_text(gold) == norm_text(got)


def _parse_iso(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def date_ok(gold: str, got: str | None) -> bool:
    if not got:
        return False
    gold_dt, got_dt = _parse_iso(gold), _parse_iso(got)
    if gold_dt is not None and got_dt is not None and "T" in gold and "T" in got \
            and gold_dt.utcoffset() is not None and got_dt.utcoffset() is not None:
        return got_dt.astimezone(gold_dt.tzinfo).date() == gold_dt.date()
    return gold[:10] == got.strip()[:10]


_NAME_SPLIT = re.compile(r"[;,&]|\s(?:and|und|et|y|e|og|och)\s")
_LEADING = ("by", "von", "par", "por", "door")


def norm_authors(names: list[str]) -> set[str]:
    out = set()
    for name in names:
        for part in _NAME_SPLIT.split(unicodedata.normalize("NFKC", name).casefold()):
            words = re.findall(r"\w+", part)
            if words and words[0] in _LEADING:
                words = words[1:]
            if words:
                out.add(" ".join(words))
    return out


def authors_ok(gold: list[str], got: list[str]) -> bool:
    return norm_authors(gold) == norm_authors(got or [])


_ONE_CHAR = "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff\u0e00-\u0e7f"
_TOKEN = re.compile(rf"[{_ONE_CHAR}]|(?:(?![{_ONE_CHAR}])\w)+")


def tokens(text: str) -> Counter:
    return Counter(_TOKEN.findall(unicodedata.normalize("NFKC", text or "")))


def body_f1(gold: str, got: str | None) -> float:
    if not got:
        return 0.0
    want, have = tokens(gold), tokens(got)
    common = sum((want & have).values())
    if not common:
        return 0.0
    precision, recall = common / sum(have.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def snippets(with_: list[str], without: list[str], got: str | None) -> tuple[bool, int, int]:
    """(page passed, ``with`` strings found, ``without`` strings absent)."""
    text = norm_text(got or "")
    found = sum(norm_text(s) in text for s in with_)
    absent = sum(norm_text(s) not in text for s in without)
    return found == len(with_) and absent == len(without), found, absent


# ---------------------------------------------------------------------------------------------
# The two extractors, as one shape: {title, date, authors, text} or None


def ours(page: bytes, row: dict) -> dict | None:
    extraction = extract_with_trace(page, row["url"], encoding=row.get("encoding"))
    if extraction is None:
        return None
    record = extraction.record
    return {"title": record["title"], "date": record["published_at"], "authors": record["authors"],
            "text": "\n\n".join(record["paragraphs"]), "body_stage": extraction.sources.get("paragraphs", "")}


def theirs(page: bytes, row: dict) -> dict | None:
    import trafilatura

    source = page.decode(row["encoding"], "replace") if row.get("encoding") else page
    try:
        doc = trafilatura.bare_extraction(source, url=row["url"], with_metadata=True, include_comments=False,
                                          include_tables=True)
    except Exception:
        return None
    if doc is None:
        return None
    get = doc.get if isinstance(doc, dict) else (lambda key: getattr(doc, key, None))
    author = get("author") or ""
    return {"title": get("title"), "date": get("date"), "authors": [a for a in author.split(";") if a.strip()],
            "text": get("text") or ""}


# ---------------------------------------------------------------------------------------------
# The run


@dataclass
class Tally:
    pages: int = 0
    no_record: int = 0
    hits: Counter = field(default_factory=Counter)  # field → pages right
    of: Counter = field(default_factory=Counter)  # field → pages with gold
    f1: list[float] = field(default_factory=list)
    with_found: int = 0
    with_total: int = 0
    without_absent: int = 0
    without_total: int = 0


def score(row: dict, got: dict | None, tally: Tally) -> dict[str, object]:
    """Adds one page to ``tally``; returns the page's verdict per field (for --show-misses)."""
    tally.pages += 1
    tally.no_record += got is None
    got = got or {}
    verdict: dict[str, object] = {}
    if row.get("title"):
        verdict["titles"] = title_ok(row["title"], got.get("title"))
    if row.get("date"):
        verdict["dates"] = date_ok(row["date"], got.get("date"))
    if row.get("authors") is not None:
        verdict["authors"] = authors_ok(row["authors"], got.get("authors"))
    if row.get("body_kind") == "full" and row.get("body"):
        f1 = body_f1(row["body"], got.get("text"))
        tally.f1.append(f1)
        verdict["body"] = f1
    if row.get("body_kind") == "snippets":
        passed, found, absent = snippets(row["with"], row["without"], got.get("text"))
        verdict["snippets"] = passed
        tally.with_found += found
        tally.with_total += len(row["with"])
        tally.without_absent += absent
        tally.without_total += len(row["without"])
    for name, value in verdict.items():
        if name != "body":
            tally.of[name] += 1
            tally.hits[name] += bool(value)
    return verdict


def load_cache(path: Path | None) -> dict:
    if path is None or not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return {}


def run(data: Path, sources: tuple[str, ...], cache_path: Path | None, with_theirs: bool = True,
        fresh: bool = False):
    """``fresh``: run trafilatura on every page (timed), whatever the cache holds."""
    import trafilatura

    rows = [json.loads(line) for line in (data / "gold.jsonl").read_text(encoding="utf-8").splitlines() if line]
    rows = [row for row in rows if row["source"] in sources]
    cache = load_cache(cache_path)
    version = trafilatura.__version__
    tallies = {(source, who): Tally() for source in sources for who in ("ours", "theirs")}
    pages, our_ms, their_ms, cached = [], [], [], 0
    for row in rows:
        page = gzip.decompress((data / row["file"]).read_bytes())
        started = time.perf_counter()
        mine = ours(page, row)
        our_ms.append((time.perf_counter() - started) * 1000)
        other = None
        if with_theirs:
            key = f"{version}:{row['file']}:{hashlib.sha1(page).hexdigest()}"
            if key in cache and not fresh:
                other, cached = cache[key], cached + 1
            else:
                started = time.perf_counter()
                other = cache[key] = theirs(page, row)
                their_ms.append((time.perf_counter() - started) * 1000)
        verdict_ours = score(row, mine, tallies[row["source"], "ours"])
        verdict_theirs = score(row, other, tallies[row["source"], "theirs"]) if with_theirs else {}
        pages.append((row, mine, other, verdict_ours, verdict_theirs))
    if with_theirs and cache_path is not None and their_ms:
        cache_path.write_text(json.dumps(cache, ensure_ascii=False), encoding="utf-8")
    warm = None
    if fresh:  # the same again, both sides warm
        warm_ours, warm_theirs = [], []
        for row, *_ in pages:
            page = gzip.decompress((data / row["file"]).read_bytes())
            started = time.perf_counter()
            ours(page, row)
            warm_ours.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            theirs(page, row)
            warm_theirs.append((time.perf_counter() - started) * 1000)
        warm = (statistics.median(warm_ours), sum(warm_ours) / 1000, statistics.median(warm_theirs),
                sum(warm_theirs) / 1000)
    timing = {"ours_ms": statistics.median(our_ms) if our_ms else 0.0,
              "theirs_ms": statistics.median(their_ms) if their_ms else None, "cached": cached,
              "version": version, "ours_total": sum(our_ms) / 1000, "theirs_total": sum(their_ms) / 1000,
              "timed": len(their_ms), "pages": len(our_ms), "warm": warm,
              "body_stages": Counter((mine or {}).get("body_stage") or "none" for _, mine, *_ in pages)}
    return tallies, pages, timing


def _cell(tally: Tally, name: str) -> str:
    if name == "body":
        return f"{statistics.fmean(tally.f1):.3f}" if tally.f1 else "-"
    if not tally.of[name]:
        return "-"
    return f"{tally.hits[name]}/{tally.of[name]}"


def _merge(tallies: list[Tally]) -> Tally:
    total = Tally()
    for tally in tallies:
        total.pages += tally.pages
        total.no_record += tally.no_record
        total.hits.update(tally.hits)
        total.of.update(tally.of)
        total.f1 += tally.f1
        total.with_found += tally.with_found
        total.with_total += tally.with_total
        total.without_absent += tally.without_absent
        total.without_total += tally.without_total
    return total


def markdown(tallies: dict, sources: tuple[str, ...], timing: dict, with_theirs: bool) -> str:
    rows = [(source, tallies[source, "ours"], tallies[source, "theirs"]) for source in sources]
    if len(sources) > 1:
        rows.append(("all", _merge([t for _, t, _ in rows]), _merge([t for _, _, t in rows])))
    their_name = f"trafilatura {timing['version']}"
    out = ["## Real pages of other outlets: extract_article vs " + their_name, "",
           f"Pages: `../shared/data/real_pages/` beside the project (README there: sources, gold, scoring); each cell is "
           f"ours / {their_name}. Snippets: pages passed (`with` found, `without` absent).", "",
           "| source | pages | no record | titles | dates | authors | body F1 | snippets |",
           "|---|---|---|---|---|---|---|---|"]
    for source, mine, other in rows:
        cells = []
        for name in ("titles", "dates", "authors", "body"):
            cells.append(f"{_cell(mine, name)} / {_cell(other, name)}" if with_theirs else _cell(mine, name))
        if mine.of["snippets"]:
            snip = (f"{mine.hits['snippets']}/{mine.of['snippets']} ({mine.with_found}/{mine.with_total}, "
                    f"{mine.without_absent}/{mine.without_total})")
            if with_theirs:
                snip += (f" / {other.hits['snippets']}/{other.of['snippets']} ({other.with_found}/"
                         f"{other.with_total}, {other.without_absent}/{other.without_total})")
        else:
            snip = "-"
        no_record = f"{mine.no_record} / {other.no_record}" if with_theirs else str(mine.no_record)
        out.append(f"| {source} | {mine.pages} | {no_record} | " + " | ".join(cells) + f" | {snip} |")
    out.append("")
    theirs_ms = (f"{timing['theirs_ms']:.1f} ms" if timing["theirs_ms"] is not None
                 else f"cached ({timing['cached']} pages, same version and bytes)")
    out.append(f"Median time per page: extract_article {timing['ours_ms']:.1f} ms; trafilatura {theirs_ms} "
               "(machine shared, indicative only).")
    stages = ", ".join(f"{name} {count}" for name, count in timing["body_stages"].most_common())
    out.append(f"Our body's stage, pages: {stages}.")
    if timing["timed"] == timing["pages"] and timing["pages"]:
        rows = [("first pass (cold)", timing["ours_ms"], timing["ours_total"], timing["theirs_ms"],
                 timing["theirs_total"])]
        if timing["warm"]:
            rows.append(("second pass (warm)", *timing["warm"]))
        out += ["", f"Side by side, same bytes, same process, {timing['pages']} pages (trafilatura fresh, not cached):", "",
                "| pass | extract_article median ms / total s | trafilatura.bare_extraction median ms / total s "
                "| ratio trafilatura / ours (median, total) |", "|---|---|---|---|"]
        for name, our_median, our_total, their_median, their_total in rows:
            out.append(f"| {name} | {our_median:.1f} / {our_total:.2f} | {their_median:.1f} / {their_total:.2f} | "
                       f"{their_median / our_median:.2f}×, {their_total / our_total:.2f}× |")
    return "\n".join(out) + "\n"


def show_misses(pages, name: str, lost_only: bool) -> str:
    out = []
    for row, mine, other, verdict_ours, verdict_theirs in pages:
        if name not in verdict_ours:
            continue
        bad = verdict_ours[name] < 0.8 if name == "body" else not verdict_ours[name]
        if not bad:
            continue
        if lost_only and not (verdict_theirs.get(name, 0) >= 0.8 if name == "body" else verdict_theirs.get(name)):
            continue
        key = {"titles": "title", "dates": "date", "authors": "authors", "body": "text", "snippets": "text"}[name]
        gold = {"titles": row.get("title"), "dates": row.get("date"), "authors": row.get("authors"),
                "body": (row.get("body") or "")[:120], "snippets": row.get("with")}[name]
        show = (lambda d: None if d is None else (d.get(key) or "")[:160] if key == "text" else d.get(key))
        extra = f" f1={verdict_ours[name]:.2f}/{verdict_theirs.get(name, 0):.2f}" if name == "body" else ""
        out.append(f"- {row['file']} {row['url']}{extra}\n    gold:   {gold!r}\n    ours:   {show(mine)!r}\n"
                   f"    theirs: {show(other)!r}")
    return f"{len(out)} misses on {name}\n" + "\n".join(out)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA_DEFAULT, help="the real_pages folder (default: %(default)s)")
    parser.add_argument("--source", action="append", choices=SOURCES, help="only this source (repeatable)")
    parser.add_argument("--show-misses", choices=FIELDS, help="list the pages where ours misses this field")
    parser.add_argument("--lost", action="store_true", help="with --show-misses: only where trafilatura is right")
    parser.add_argument("--no-record", action="store_true", help="list the pages where ours returns no record")
    parser.add_argument("--cache", type=Path, default=CACHE, help="trafilatura's outputs (default: %(default)s)")
    parser.add_argument("--no-cache", action="store_true", help="run trafilatura on every page")
    parser.add_argument("--ours-only", action="store_true", help="skip trafilatura")
    parser.add_argument("--timing", action="store_true",
                        help="run trafilatura fresh on every page, timed beside ours (medians, totals, ratio)")
    args = parser.parse_args(argv)
    if not (args.data / "gold.jsonl").exists():
        return f"## Real pages\n\n**SKIPPED**: no {args.data}/gold.jsonl beside the project.\n"
    sources = tuple(args.source or SOURCES)
    tallies, pages, timing = run(args.data, sources, None if args.no_cache else args.cache, not args.ours_only,
                                 fresh=args.timing)
    report = markdown(tallies, sources, timing, not args.ours_only)
    if args.show_misses:
        print(show_misses(pages, args.show_misses, args.lost), file=sys.stderr)
    if args.no_record:
        missing = [f"- {row['file']} {row['url']}" for row, mine, *_ in pages if mine is None]
        print(f"{len(missing)} pages without a record\n" + "\n".join(missing), file=sys.stderr)
    return report


if __name__ == "__main__":
    print(main())
