"""`arshif crawl --redis`: a discovery round (home page, sitemap, listings) done by workers from the shared
queue gives the archive the mirror's truth; the next round asks for no stored article again."""

from __future__ import annotations

from tests.distributed_cluster import Cluster, rows
from tests.test_crawl import assert_archive_is_truth


def test_distributed_crawl_rounds(mirror_factory, redis_server, tmp_path):
    mirror = mirror_factory(articles=150, seed=1)
    cluster = Cluster(tmp_path, redis_server, mirror.base_url)
    try:
        for round_ in (1, 2):
            out = cluster.arshif("crawl", "alhadath", "--redis", redis_server.url, "--base-url", mirror.base_url,
                                 "--db", str(cluster.db)).stdout
            assert "queued 2 discovery requests" in out  # home page and sitemap
            writer = cluster.writer()
            workers = [cluster.worker() for _ in range(2)]
            cluster.wait_done(workers, writer)
            if round_ == 1:
                assert_archive_is_truth(cluster.db, mirror.truth())
                stored = len(rows(cluster.db, "select * from articles"))
    finally:
        cluster.close()
    assert len(rows(cluster.db, "select * from articles")) == stored
    # The second round's writer run recorded no article: the workers skipped every stored id.
    run = rows(cluster.db, "select * from crawl_runs where command = 'store' order by id desc limit 1")[0]
    assert run["articles_new"] == run["articles_updated"] == run["articles_unchanged"] == 0
