"""Notifications (crawler.notify): one message per incident, to a real local HTTP receiver and SMTP server."""

from __future__ import annotations

import json
import socket
import threading
from email import message_from_bytes
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from crawler.notify import condition, notify_targets
from tests.test_alarms import history  # noqa: F401 (the module fixture: an 800-id crawl)
from tests.test_alarms import archive, run_rows  # noqa: F401
from tests.test_crawl import arshif


@pytest.fixture
def receiver():
    """A webhook on 127.0.0.1 keeping every JSON body posted to it; ``url`` is its Apprise json:// URL."""
    posts: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            posts.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0)))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.posts = posts
    server.url = f"json://127.0.0.1:{server.server_port}/arshif"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp():
    """An aiosmtpd SMTP server on 127.0.0.1 keeping every message; ``url`` is its Apprise mailto:// URL."""
    from aiosmtpd.controller import Controller

    mails: list = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            mails.append(message_from_bytes(envelope.content, policy=email_policy))
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    controller.mails = mails
    controller.url = f"mailto://127.0.0.1:{port}?from=arshif@example.org&to=ops@example.org&mode=insecure"
    yield controller
    controller.stop()


def test_targets_come_from_the_option_and_the_environment():
    env = {"ARSHIF_NOTIFY": "json://a/x, mailto://b  json://a/x"}
    assert notify_targets(["slack://t"], env) == ["slack://t", "json://a/x", "mailto://b"]
    assert notify_targets([], {}) == []


def test_conditions():
    assert condition("alarm", 5) == "alarm"
    assert condition("failed", 9) == condition(None, 4) == condition("ok", 7) == "failed"
    assert condition("ok", 0) == "ok"
    assert condition("interrupted", 8) is None


def crawl(tmp_path: Path, base_url: str, *extra: str, env=None):
    return arshif("crawl", "alhadath", "--base-url", base_url, "--db", str(tmp_path / "a.db"), *extra, cwd=tmp_path,
                  **({"env": env} if env else {}))


def test_one_message_per_incident_and_one_on_recovery(archive, tmp_path, mirror_factory, receiver, smtp,
                                                      monkeypatch):
    monkeypatch.setenv("ARSHIF_NOTIFY", smtp.url)  # the mail target from the environment, the webhook by option
    codes = []
    for articles in (804, 808, 812):  # three hourly runs on the broken layout, each with new stories
        broken = mirror_factory(articles=articles, seed=1, markup="broken")
        codes.append(crawl(tmp_path, broken.base_url, "--notify", receiver.url).returncode)
        broken.stop()
    assert codes == [5, 5, 5]
    healthy = mirror_factory(articles=816, seed=1)
    assert crawl(tmp_path, healthy.base_url, "--notify", receiver.url).returncode == 0
    runs = run_rows(archive)
    assert [r["status"] for r in runs[-4:]] == ["alarm", "alarm", "alarm", "ok"]
    first, last = runs[-4]["id"], runs[-1]["id"]
    titles = [post["title"] for post in receiver.posts]
    assert titles == [f"arshif: alhadath quality alarm (run {first})", f"arshif: alhadath recovered (run {last})"]
    assert receiver.posts[0]["type"] == "failure" and receiver.posts[1]["type"] == "success"
    alarm = receiver.posts[0]["message"]
    assert f"Run: {first}" in alarm and "Site: alhadath" in alarm and "yielded no article" in alarm
    assert f"arshif stats --db {archive}" in alarm
    assert "after 3 runs with a quality alarm since run" in receiver.posts[1]["message"]
    assert [mail["Subject"] for mail in smtp.mails] == titles
    assert "What happened: quality alarm: 3 of 3 article pages" in smtp.mails[0].get_body().get_content()


def test_a_failed_run_notifies_and_an_undeliverable_notification_changes_no_exit_code(tmp_path, receiver,
                                                                                       mirror_factory):
    with socket.socket() as probe:  # a port nobody listens on: the site is unreachable
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    dead_hook = dead.replace("http://", "json://") + "/hook"
    result = crawl(tmp_path, dead, "--notify", receiver.url, "--notify", dead_hook, "--timeout", "2")
    assert result.returncode == 4, result.stderr[-2000:]
    [post] = receiver.posts
    assert post["title"].startswith("arshif: alhadath run failed (run 1)") and "nothing reachable" in post["message"]
    assert "not delivered" in result.stderr
    healthy = mirror_factory(articles=40, seed=1)
    result = crawl(tmp_path, healthy.base_url, "--notify", dead_hook)  # only the dead hook: nothing delivered
    assert result.returncode == 0 and "not delivered" in result.stderr
    result = crawl(tmp_path, healthy.base_url, "--notify", receiver.url)
    assert result.returncode == 0 and len(receiver.posts) == 1  # the recovery was told (to the dead hook) once
