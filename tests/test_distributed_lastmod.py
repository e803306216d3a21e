"""A distributed crawl round refetches a stored article whose sitemap ``lastmod`` is newer, as one process
does (the one rule, ``spiders.discovery``; the workers read the stored dates from the writer's ``changed``
hash): the wordpress mirror on day 0, then on day 1, where one article was edited."""

from __future__ import annotations

from tests.distributed_cluster import Cluster, rows
from tests.test_crawl import assert_archive_is_truth
from tests.test_outlets_crawl import FAMILIES, family_mirror, keyed_truth  # noqa: F401  (a fixture)


def test_distributed_round_refetches_on_newer_lastmod(family_mirror, redis_server, tmp_path):  # noqa: F811
    db = tmp_path / "distributed.db"
    site = FAMILIES["wordpress"]
    for day in (0, 1):
        mirror = family_mirror(articles=300, seed=4, cms="wordpress", day=day)
        cluster = Cluster(tmp_path, redis_server, mirror.base_url, site=site, db=db)
        try:
            cluster.arshif("crawl", site, "--redis", redis_server.url, "--base-url", mirror.base_url, "--db", str(db))
            writer = cluster.writer()
            workers = [cluster.worker() for _ in range(2)]
            cluster.wait_done(workers, writer)
        finally:
            cluster.close()
            mirror.stop()
        if day == 0:
            assert_archive_is_truth(db, keyed_truth(mirror))
    changed = [r for r in mirror.truth() if r["updated_on_day"] == 1]
    assert len(changed) == 1
    run = rows(db, "select * from crawl_runs where command = 'store' order by id desc limit 1")[0]
    assert (run["articles_new"], run["articles_updated"]) == (0, 1)
    versions = rows(db, "select article_id from article_versions")
    assert [v["article_id"] for v in versions] == [changed[0]["key"]]
    assert_archive_is_truth(db, keyed_truth(mirror))
