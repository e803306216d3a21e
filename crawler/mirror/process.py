"""Run ``arshif mirror`` as a subprocess: what tests, benchmarks and demos use to get a live mirror."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import asdict

from crawler.mirror.model import MirrorConfig
from crawler.mirror.truth import truth


class MirrorProcess:
    """A mirror server in its own process. ``base_url`` is where it listens; ``stop()`` ends it.

    >>> with MirrorProcess.start(MirrorConfig(articles=300)) as mirror:   # doctest: +SKIP
    ...     urllib.request.urlopen(mirror.base_url + "/robots.txt")
    """

    def __init__(self, config: MirrorConfig, process: subprocess.Popen, base_url: str, stderr) -> None:
        self.config = config
        self.process = process
        self.base_url = base_url
        self._stderr = stderr

    @classmethod
    def start(cls, config: MirrorConfig | None = None, host: str = "127.0.0.1", port: int = 0,
              timeout: float = 20.0, **config_fields) -> "MirrorProcess":
        config = config or MirrorConfig(**config_fields)
        fields = asdict(config)
        fields.pop("fault_rates", None)
        args = [sys.executable, "-m", "crawler", "mirror", "--host", host, "--port", str(port)]
        for name, value in fields.items():
            args += [f"--{name.replace('_', '-')}", str(value)]
        stderr = tempfile.TemporaryFile()
        process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
        lines: queue.Queue[bytes] = queue.Queue()
        threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
        try:
            first = lines.get(timeout=timeout).decode().strip()
        except queue.Empty:
            first = ""
        if not first.startswith("http"):
            process.kill()
            process.wait()
            stderr.seek(0)
            raise RuntimeError(f"mirror did not start ({' '.join(args)}): {stderr.read().decode()[-2000:]}")
        return cls(config, process, first, stderr)

    def truth(self) -> list[dict]:
        return list(truth(self.config))

    def stop(self, timeout: float = 10.0) -> int:
        """SIGTERM, then SIGKILL if it lingers; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process.stdout.close()
        self._stderr.close()
        return self.process.returncode

    def __enter__(self) -> "MirrorProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
