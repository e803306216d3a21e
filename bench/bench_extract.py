"""Benchmark article extraction: speed against lxml and trafilatura, and accuracy against the mirror's truth.

    .venv/bin/python bench/bench_extract.py [--pages 2000] [--rounds 3] [--accuracy-pages 3000]
    .venv/bin/python bench/bench_extract.py --profile --pages 500 [--weight real]   # where extract_article spends its time

Speed: on the same pages (mirror default + table markups at both page weights — light ~8 KiB and real
82–148 KB — rendered in-process, and the hand-written fixtures), per page: ``extract_article`` (site path),
``lxml.html.fromstring`` (the parsing floor) and ``trafilatura.bare_extraction``. Contenders alternate page
by page, over several rounds, so machine load hits all of them alike; the median ms/page of each and the
ratios are reported. Each call is timed in CPU time of this thread (``time.thread_time``): on a shared,
loaded machine the wall time of one call also counts other processes' time slices, and more of them the
longer the call, which skews the ratios against the slower contender.
Accuracy: ``extract_article`` over a few thousand mirror ids per markup compared with the mirror's truth,
exact matches counted per field. ``main()`` returns the report as markdown.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

import lxml.html
import trafilatura

from crawler.extract import extract_article
from crawler.mirror import ARTICLE, MirrorConfig, article_ids, render, truth
from crawler.mirror.model import WEIGHTS

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "alhadath"
FIELDS = ("title", "published_at", "published_hijri", "byline_raw", "authors", "agencies", "dateline",
          "paragraphs", "caption", "category")
URL = "https://www.alhadath.ps/article/{}/x"


def mirror_pages(count: int, markup: str, seed: int = 21, start_id: int = 40000,
                 weight: str = "light") -> list[tuple[bytes, str]]:
    config = MirrorConfig(articles=int(count * 1.1) + 20, seed=seed, start_id=start_id, markup=markup, weight=weight)
    return [(render(config, f"/article/{i}/x").body, URL.format(i)) for i in article_ids(config)[:count]]


def fixture_pages() -> list[tuple[bytes, str]]:
    return [(path.read_bytes(), URL.format(n)) for n, path in enumerate(sorted(FIXTURES.glob("hand_*.html")), 1)]


CONTENDERS = {
    "extract_article": lambda body, url: extract_article(body, url, site="alhadath"),
    "lxml.html.fromstring": lambda body, url: lxml.html.fromstring(body),
    "trafilatura.bare_extraction": lambda body, url: trafilatura.bare_extraction(body, url=url),
}


def time_contenders(pages: list[tuple[bytes, str]], rounds: int) -> dict[str, float]:
    """Median ms/page per contender; contenders alternate on each page, every round."""
    samples: dict[str, list[float]] = {name: [] for name in CONTENDERS}
    for body, url in pages[:20]:  # warm-up: imports, caches
        for run in CONTENDERS.values():
            run(body, url)
    clock = time.thread_time
    for round_no in range(rounds):
        order = list(CONTENDERS.items())
        if round_no % 2:
            order.reverse()
        for body, url in pages:
            for name, run in order:
                started = clock()
                run(body, url)
                samples[name].append(clock() - started)
        gc.collect()
    return {name: statistics.median(values) * 1000 for name, values in samples.items()}


def profile(pages: list[tuple[bytes, str]], rounds: int) -> str:
    """pyinstrument's call tree of ``extract_article`` over ``pages`` (the bench extra installs it)."""
    from pyinstrument import Profiler

    for body, url in pages[:20]:
        CONTENDERS["extract_article"](body, url)
    profiler = Profiler(interval=0.0001)
    profiler.start()
    for _ in range(rounds):
        for body, url in pages:
            CONTENDERS["extract_article"](body, url)
    profiler.stop()
    return profiler.output_text(unicode=True, color=False)


def accuracy(count: int, markup: str, seed: int = 31, start_id: int = 1000,
             weight: str = "light") -> tuple[int, dict[str, int], int]:
    """(article pages, exact matches per field, wrong no-article answers) over ``count`` ids."""
    config = MirrorConfig(articles=count, seed=seed, start_id=start_id, markup=markup, weight=weight)
    exact = dict.fromkeys(FIELDS, 0)
    pages = wrong_presence = 0
    for expected in truth(config):
        record = extract_article(render(config, f"/article/{expected['id']}/x").body,
                                 URL.format(expected["id"]), site="alhadath")
        if expected["status"] != ARTICLE:
            wrong_presence += record is not None
            continue
        pages += 1
        if record is None:
            wrong_presence += 1
            continue
        got = {**record, "caption": record["images"][0]["caption"] if record["images"] else ""}
        for field in FIELDS:
            exact[field] += got[field] == expected[field]
    return pages, exact, wrong_presence


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000, help="mirror pages per markup for the speed run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--accuracy-pages", type=int, default=3000, help="mirror ids per markup for accuracy")
    parser.add_argument("--profile", action="store_true",
                        help="print a profile of extract_article on mirror pages of both markups instead")
    parser.add_argument("--weight", choices=WEIGHTS, default="real", help="page weight of --profile")
    parser.add_argument("--weights", default=",".join(WEIGHTS), help="page weights of the speed and accuracy runs")
    args = parser.parse_args(argv)
    if args.profile:
        return profile(mirror_pages(args.pages, "default", weight=args.weight)
                       + mirror_pages(args.pages, "table", seed=22, start_id=150000, weight=args.weight), args.rounds)
    weights = [w for w in args.weights.split(",") if w]

    out = ["# Extraction benchmark", "",
           f"Python {sys.version.split()[0]}, lxml {lxml.etree.__version__}, trafilatura {trafilatura.__version__}; "
           f"{args.rounds} rounds, contenders alternating page by page; CPU ms per call (thread time).", "",
           "| pages | page weight | n | KB/page | extract_article ms | lxml.fromstring ms | trafilatura ms | "
           "extract / lxml | trafilatura / extract |",
           "|---|---|---|---|---|---|---|---|---|"]
    sets = {}
    for weight in weights:
        sets[("mirror default", weight)] = mirror_pages(args.pages, "default", weight=weight)
        sets[("mirror table", weight)] = mirror_pages(args.pages, "table", seed=22, start_id=150000, weight=weight)
    sets[("hand-written fixtures", "hand-written")] = fixture_pages()
    for (label, weight), pages in sets.items():
        rounds = args.rounds if len(pages) > 50 else args.rounds * 50  # few pages: more rounds
        ms = time_contenders(pages, rounds)
        ours, floor, traf = ms["extract_article"], ms["lxml.html.fromstring"], ms["trafilatura.bare_extraction"]
        kb = statistics.mean(len(body) for body, _ in pages) / 1000
        out.append(f"| {label} | {weight} | {len(pages)} | {kb:.0f} | {ours:.3f} | {floor:.3f} | {traf:.3f} | "
                   f"{ours / floor:.2f}× | {traf / ours:.1f}× |")
    out += ["", "Targets (issue 15, real-weight pages): extract / lxml ≤ 3× (2× stretch), trafilatura / extract ≥ 8×.",
            "", "## Accuracy against the mirror's truth (exact matches per field)", "",
            "| markup | page weight | article pages | " + " | ".join(FIELDS) + " | wrong article/none |",
            "|---|---|---|" + "---|" * len(FIELDS) + "---|"]
    for markup in ("default", "table"):
        for weight in weights:
            pages, exact, wrong = accuracy(args.accuracy_pages, markup, weight=weight)
            out.append(f"| {markup} | {weight} | {pages} | " + " | ".join(f"{exact[f]}" for f in FIELDS)
                       + f" | {wrong} |")
    return "\n".join(out)


if __name__ == "__main__":
    print(main())
