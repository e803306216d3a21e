"""Listing walks that span workers are marked complete under the single process's rule (the workers send
``WalksComplete`` as their walks end; ``spiders.walks`` over a ``RedisWalkBook``), so the next round stops where they reached: down to a
--since, or at the first page once a round walked to the end. Real redis-server, the mirror, 2 workers."""

from __future__ import annotations

from crawler.distributed.keys import Keys
from crawler.mirror import CATEGORIES
from tests.distributed_cluster import Cluster
from tests.test_crawl import articles, assert_archive_is_truth, rows
from tests.test_distributed_window import distributed_round, window_dates


def test_since_walks_are_marked_complete_and_the_next_round_stops_where_they_reached(mirror, redis_server, tmp_path):
    since, _ = window_dates(mirror, 3 / 4, 3 / 4)
    cluster = Cluster(tmp_path, redis_server, mirror.base_url)
    try:
        first = distributed_round(cluster, "--since", since)
        walks = rows(cluster.db, "select * from listing_walks")
        # The workers sent WalksComplete: every category walked down to --since (as one process records it).
        assert len(walks) == len(CATEGORIES) and all(w["down_to"] for w in walks), walks
        truth = [t for t in mirror.truth() if t["status"] == "article" and not t["exact_duplicate_of"]]
        inside = {t["id"] for t in truth if t["published_at"][:10] >= since}
        assert inside <= set(articles(cluster.db))

        again = distributed_round(cluster, "--since", since)
        assert again["article"] == 0  # no out-of-window article asked again
        assert again["listing"] == len(CATEGORIES) < first["listing"]

        # Down to a date is not to the end: a round without --since walks on, completes the archive and
        # records walks to the end; the round after that stops at the first page of each category. Its
        # workers started under the --since round's settings: they apply the new round's at its first request.
        distributed_round(cluster, started_first=True)
        assert_archive_is_truth(cluster.db, mirror.truth())
        walks = rows(cluster.db, "select * from listing_walks")
        assert len(walks) == len(CATEGORIES) and all(w["down_to"] is None for w in walks)
        last = distributed_round(cluster)
        assert last["listing"] == len(CATEGORIES) and last["article"] == 0
        assert cluster.client().scard(Keys("alhadath").walks) == len(CATEGORIES)
    finally:
        cluster.close()
