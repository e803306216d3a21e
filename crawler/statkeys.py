"""The stat keys a run counts its outcomes under (Scrapy stats, ``crawl_runs.stats``), named once.

Scrapy-free: the archive's owner and the pipelines count under them, the progress line and the run's
summary read them. "arshif/articles/stored" is the number of articles stored for the first time.
"""

STORED = "arshif/articles/stored"
UPDATED = "arshif/articles/updated"
UNCHANGED = "arshif/articles/unchanged"
ALIASES = "arshif/aliases"
NEAR_DUPLICATES = "arshif/near_duplicates"
MISSES = "arshif/misses"
FAILURES = "arshif/failures"
OUTSIDE_WINDOW = "arshif/outside_window"
TEMPLATE_PAGES = "arshif/extract/template_pages"  # article pages a learned template read (its block only)
EXTRACT_WORKER_FAILED = "arshif/extract/worker_failed"  # pages whose extraction worker died or failed
EXTRACT_WORKER_CPU = "arshif/extract/worker_cpu_s"  # CPU seconds the extraction workers spent on pages
