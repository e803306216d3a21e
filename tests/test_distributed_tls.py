"""rediss://: seeding, a worker and the writer over TLS to a real redis-server (Debian's is built with TLS)
that listens on TLS only, with a throwaway CA made by openssl; the CA is given in the URL's query
(``rediss://host:port/0?ssl_ca_certs=/path/ca.crt``), the form redis-py reads."""

from __future__ import annotations

import subprocess
import sys

from tests.distributed_cluster import Cluster, rows
from tests.test_crawl import assert_archive_is_truth


def test_worker_and_writer_over_rediss(mirror_factory, redis_factory, tmp_path):
    server = redis_factory(tls=True)
    assert server.url.startswith("rediss://127.0.0.1:") and "?ssl_ca_certs=" in server.url
    # Without the CA the server's certificate is refused: the connection really is verified TLS.
    plain = subprocess.run([sys.executable, "-c", "import redis, sys; redis.Redis.from_url(sys.argv[1],"
                            " socket_connect_timeout=3).ping()", server.url.split("?")[0]],
                           capture_output=True, text=True, timeout=60)
    assert plain.returncode != 0 and "CERTIFICATE_VERIFY_FAILED" in plain.stderr

    mirror = mirror_factory(articles=80, seed=3)
    cluster = Cluster(tmp_path, server, mirror.base_url)
    try:
        assert "queued 80 ids" in cluster.seed("1-80")
        writer = cluster.writer()
        worker = cluster.worker()
        cluster.wait_done([worker], writer)
    finally:
        cluster.close()
    assert_archive_is_truth(cluster.db, mirror.truth(), ids=set(range(1, 81)))
    assert rows(cluster.db, "select count(*) n from crawl_runs where command = 'store' and status = 'ok'")[0]["n"] == 1
    assert "queued 0 ids" in cluster.seed("1-80")  # the writer's sets, read over TLS too
