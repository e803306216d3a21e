"""The distributed mode: scrapy-redis workers on any number of machines, one archive writer.

    arshif store --redis redis://HOST:6379/0 --db archive.db              # exactly one: the SQLite writer
    arshif worker alhadath --redis redis://HOST:6379/0                     # any number, anywhere
    arshif backfill alhadath --ids 1-100000 --redis redis://HOST:6379/0    # seeds the shared queue

What lives in Redis (``keys.Keys``; every key starts with ``arshif:<site>:``):

- ``requests`` / ``dupefilter``: scrapy-redis's shared scheduler queue and dupe filter (``SCHEDULER_PERSIST``
  on). Workers fetch from it with the ordinary spider and extraction (``worker``).
- ``items``: what workers send the writer (articles after clean/validate, misses, failures, aliases; JSON,
  ``codec``). ``items:processing``: what the writer has taken and not yet committed to SQLite
  (``BLMOVE``); a killed writer's leftovers there are applied again at its next start (``writer``).
- ``stored`` / ``misses``: sets of ids the writer keeps, so workers can answer the incremental rule's
  questions without SQLite (``state``).
- ``run``: the round's settings (date window, --max-pages, --refresh) the seeder publishes and every worker
  applies (``run``); ``requested``, ``gate:*``, ``walk:*``: what workers share of the listing walks — ids
  asked this round, a --since page's unread articles, a walk's unanswered requests (``walks``).
- ``walks:down_to``: categories walked down to a --since only (a hash the writer keeps, ``state``).
- ``writer``: the live writer's lease (a key with an expiry it renews): one writer per queue (``lease``).
- ``rate``: the per-site token bucket every worker takes a token from before each request (``limiter``).

The SQLite archive stays the source of truth: a request lost in flight (scrapy-redis marks a request seen
when it is queued) is put back by seeding again (``seed``), which asks the archive what is missing.
"""
