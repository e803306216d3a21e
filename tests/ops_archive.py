"""A synthetic archive built through the storage API: for export/stats/search tests and bench/bench_export.py.

Run as a script to build one in a subprocess: ``python -m tests.ops_archive DB ROWS``.
"""

from __future__ import annotations

import random
import sys
from datetime import datetime, timedelta, timezone

from crawler.storage import Archive, ArticleWrite

WORDS = (
    "الحدث رام الله غزة القدس الاحتلال الفلسطينية الحكومة الوزير المجلس الاقتصاد الأسرى المستوطنين"
    " مُحَمَّد إسرائيل أمريكا الأمم المتحدة الانتخابات الرئيس السلطة المدينة الجامعة الطلاب المياه"
    " الكهرباء الزيتون الموسم التجارة الأسعار البنك الشركة العمال النقابة المحكمة القرار الاجتماع"
).split()
CATEGORIES = ("محليات", "عربي ودولي", "اقتصاد", "مقالات الحدث", "ثقافة")
AGENCIES = ("AFP", "Reuters", "WAFA", "agencies")
HEBRON = timezone(timedelta(hours=2))


def synthetic_record(article_id: int, rng: random.Random) -> dict:
    published = datetime(2014, 11, 1, tzinfo=HEBRON) + timedelta(minutes=37 * article_id)
    paragraphs = [" ".join(rng.choices(WORDS, k=rng.randint(25, 60))) for _ in range(rng.randint(3, 8))]
    return {
        "site": "alhadath",
        "article_id": article_id,
        "url": f"https://www.alhadath.ps/article/{article_id}",
        "title": " ".join(rng.choices(WORDS, k=9)) + f" {article_id}",
        "subtitle": "",
        "published_at": published.isoformat(),
        "published_raw": published.strftime("%Y-%m-%d %I:%M:%S %p"),
        "published_hijri": "1436-01-08",
        "modified_at": None,
        "byline_raw": "الحدث - ا ف ب",
        "authors": ["رولا سرحان"] if article_id % 5 == 0 else [],
        "agencies": [AGENCIES[article_id % len(AGENCIES)]],
        "dateline": "رام الله" if article_id % 3 == 0 else "",
        "paragraphs": paragraphs,
        "images": [{"url": f"https://www.alhadath.ps/images/{article_id}.jpg", "caption": "صورة ارشيفية"}],
        "category": CATEGORIES[article_id % len(CATEGORIES)],
        "tags": ["فلسطين", "سياسة"],
        "language": "ar",
        "encoding": "utf-8",
    }


def build_archive(db_path, rows: int, *, first_id: int = 1, seed: int = 6, run_id: int | None = None,
                  warc_record=None) -> None:
    rng = random.Random(seed)
    with Archive(db_path, batch_size=5000, commit_interval=3600) as archive:
        batch = []
        for article_id in range(first_id, first_id + rows):
            record = synthetic_record(article_id, rng)
            # a cheap stand-in hash (distinct per row): folding every body would double the build time
            batch.append(ArticleWrite(record=record, content_hash=f"synthetic-{article_id}",
                                      run_id=run_id, warc_record=warc_record))
            if len(batch) == 1000:
                archive.upsert_articles(batch)
                batch = []
        archive.upsert_articles(batch)


if __name__ == "__main__":
    build_archive(sys.argv[1], int(sys.argv[2]))


PEAK_WRAPPER = (
    "import resource, subprocess, sys; code = subprocess.run(sys.argv[1:]).returncode;"
    " print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)"
)


def run_with_peak_rss(command: list[str], **kwargs) -> tuple[int, float]:
    """Run ``command`` in a fresh wrapper process; return (exit code, the command's peak RSS in MB).

    The wrapper's RUSAGE_CHILDREN ``ru_maxrss`` is the kernel's high-water mark of resident memory of
    its one child (in KiB on Linux) — exact, unlike polling.
    """
    import subprocess

    out = subprocess.run([sys.executable, "-c", PEAK_WRAPPER, *command], check=True, capture_output=True,
                         text=True, **kwargs).stdout.split()
    return int(out[-1]), int(out[-2]) / 1024
