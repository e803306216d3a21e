"""A real ``redis-server`` for tests: started on a free loopback port in a temp dir, stopped at teardown.

    def test_x(redis_server):            # one server per test, AOF on
        redis_server.url                 # "redis://127.0.0.1:PORT/0"
        redis_server.client()            # a redis.Redis on it (decode_responses=False)
        redis_server.kill()              # SIGKILL (what a crash does); .restart() starts it again on the
        redis_server.restart()           # same port and directory, so with AOF on nothing is lost

    def test_y(redis_factory):           # several, or with options
        server = redis_factory(appendonly=False)
        server = redis_factory(tls=True) # TLS only: a throwaway CA and server certificate made with
        server.url                       # openssl in its directory; "rediss://127.0.0.1:PORT/0?ssl_ca_certs=…"

The Debian package ``redis-server`` is installed by ``make test`` (Makefile target ``redis-server``);
without it these fixtures fail, they do not skip: the distributed mode is tested for real or not at all.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_certificates(directory: Path) -> None:
    """A throwaway CA (ca.crt) and a server certificate it signed for 127.0.0.1/localhost (server.crt/.key)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl is not installed (Debian package openssl): needed for the rediss:// test")

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=directory, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=arshif test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")
    (directory / "san.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.crt", "-days", "2", "-extfile", "san.cnf")


class RedisServer:
    def __init__(self, directory: Path, *, appendonly: bool = True, port: int | None = None,
                 tls: bool = False) -> None:
        self.directory = Path(directory)
        self.appendonly = appendonly
        self.port = port or free_port()
        self.tls = tls
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        if self.tls:  # redis-py reads the CA from the URL's query (any ssl_* keyword of its connection)
            return f"rediss://127.0.0.1:{self.port}/0?ssl_ca_certs={self.directory / 'ca.crt'}"
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log(self) -> Path:
        return self.directory / "redis.log"

    def client(self, **options):
        import redis

        return redis.Redis.from_url(self.url, **options)

    def start(self, timeout: float = 15.0) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: `make test` installs it (apt-get install redis-server)")
        self.directory.mkdir(parents=True, exist_ok=True)
        listen = ["--port", str(self.port)]
        if self.tls:
            if not (self.directory / "ca.crt").exists():
                make_certificates(self.directory)
            listen = ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", "server.crt",
                      "--tls-key-file", "server.key", "--tls-ca-cert-file", "ca.crt", "--tls-auth-clients", "no"]
        self.process = subprocess.Popen(
            [binary, *listen, "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--save", "", "--appendonly", "yes" if self.appendonly else "no", "--appendfsync", "everysec",
             "--daemonize", "no", "--logfile", str(self.log), "--protected-mode", "no"],
            cwd=self.directory,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        client = self.client(socket_connect_timeout=0.5, socket_timeout=0.5)
        try:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"redis-server exited ({self.process.returncode}): {self._log_tail()}")
                try:
                    if client.ping():
                        # With AOF on, a restarted server answers PING while it still loads the file.
                        if client.info("persistence").get("loading", 0) == 0:
                            return self
                except Exception:  # not listening yet, or still loading
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not answer PING in {timeout}s: {self._log_tail()}")
                time.sleep(0.05)
        finally:
            client.close()

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return "(no log)"

    def kill(self) -> None:
        """SIGKILL: no shutdown save, no goodbye to clients (what a crashed host looks like)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def restart(self) -> RedisServer:
        self.stop()
        return self.start()


@pytest.fixture
def redis_factory():
    """``redis_factory(appendonly=True, tls=False)`` → a started ``RedisServer``; all are stopped at teardown."""
    servers: list[RedisServer] = []
    directories: list[tempfile.TemporaryDirectory] = []

    def start(appendonly: bool = True, tls: bool = False) -> RedisServer:
        directory = tempfile.TemporaryDirectory(prefix="arshif-redis-")
        directories.append(directory)
        for attempt in range(5):  # another process may take the free port before redis-server binds it
            server = RedisServer(Path(directory.name), appendonly=appendonly, tls=tls)
            try:
                server.start()
            except RuntimeError:
                server.stop()
                if attempt == 4:
                    raise
                continue
            servers.append(server)
            return server
        raise AssertionError("unreachable")

    yield start
    for server in servers:
        server.stop()
    for directory in directories:
        directory.cleanup()


@pytest.fixture
def redis_server(redis_factory) -> RedisServer:
    """One real redis-server for this test (AOF on), stopped at teardown."""
    return redis_factory()
