"""Item pipelines, one job each, in this order (see crawler.settings ITEM_PIPELINES):

clean (stored text form) → validate (id, title, date, body; else a named drop + a failures row) →
date window (--since/--until) → dedupe (update / exact alias / near duplicate) → store (the archive).
"""
