"""Keeping the worker up through failures its Faust worker cannot survive in its own process.

``python -m streams worker`` runs this supervisor, which runs the Faust worker as a child process
(``worker --no-restart``) and starts it again, with a growing delay, whenever it ends without being asked to
(whatever its exit status: a worker runs until it is stopped).
That is what carries the worker through a broker outage of any length: once a send has waited longer than the
producer's delivery timeout (``STREAMS_PRODUCER_TIMEOUT``), Faust's producer raises and its worker exits; events
whose outputs failed are never acknowledged, so nothing was committed past them, and the next child processes
them again from the last commit (at-least-once, as after any crash). A fresh process is the only state we can
vouch for: Faust and mode keep services, tables and RocksDB handles bound to the event loop they ran on.

While no child runs (backing off, or waiting for the broker to accept connections before starting one), the
supervisor answers the worker's web port itself: ``/healthz`` 200 (the process is alive and will recover by
itself), ``/readyz`` 503, ``/metrics`` with ``streams_worker_restarts``. SIGTERM or SIGINT is passed to the
child, which drains and commits; the supervisor then exits with the child's status and starts nothing more.
The child dies with the supervisor (Linux ``PR_SET_PDEATHSIG``), so a SIGKILL of the worker command ends both.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any

__all__ = ["RESTARTS_ENV", "Backoff", "Supervisor", "broker_accepts"]

log = logging.getLogger(__name__)

RESTARTS_ENV = "STREAMS_WORKER_RESTARTS"  # how many times the supervisor has started the child again
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Backoff:
    """Delays between restarts: ``initial`` doubled after each quick failure up to ``maximum``; a child that ran
    at least ``healthy_after`` seconds counts as recovered, and the next delay starts from ``initial`` again."""

    initial: float = 1.0
    maximum: float = 60.0
    healthy_after: float = 120.0

    def next(self, previous: float | None, ran_for: float) -> float:
        if previous is None or ran_for >= self.healthy_after:
            return self.initial
        return min(self.maximum, previous * 2)


def broker_accepts(servers: Sequence[str], timeout: float = 2.0) -> bool:
    """Whether any bootstrap server accepts a TCP connection (the child checks the cluster itself)."""
    for server in servers:
        host, _, port = server.rpartition(":")
        try:
            with socket.create_connection((host.strip("[]") or "localhost", int(port)), timeout=timeout):
                return True
        except (OSError, ValueError):
            continue
    return False


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):  # elsewhere a SIGKILL of the supervisor spares the child
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class _StatusServer:
    """The worker's web port while no child serves it."""

    def __init__(self, host: str, port: int, status: Callable[[], dict[str, Any]]) -> None:
        self._address = (host, port)
        self._status = status
        self._server: ThreadingHTTPServer | None = None

    def open(self) -> None:
        if self._server is not None:
            return
        status = self._status

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                state = status()
                if self.path.startswith("/healthz"):
                    self._send(200, "application/json", json.dumps({"status": "restarting", **state}))
                elif self.path.startswith("/readyz"):
                    self._send(503, "application/json", json.dumps({"ready": False, **state}))
                elif self.path.startswith("/metrics"):
                    text = (
                        "# HELP streams_worker_restarts Times the supervisor started the worker again.\n"
                        "# TYPE streams_worker_restarts gauge\n"
                        f"streams_worker_restarts {state['restarts']}\n"
                        "# HELP streams_worker_up Whether a worker process is running (0: restarting).\n"
                        "# TYPE streams_worker_up gauge\n"
                        "streams_worker_up 0\n"
                    )
                    self._send(200, "text/plain; version=0.0.4; charset=utf-8", text)
                else:
                    self._send(404, "text/plain", "not found\n")

            def _send(self, code: int, content_type: str, body: str) -> None:
                data = body.encode()
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        try:
            ThreadingHTTPServer.allow_reuse_address = True
            self._server = ThreadingHTTPServer(self._address, Handler)
        except OSError as exc:  # the port still held by an exiting child: serve on the next try
            log.debug("status port not free yet: %s", exc)
            return
        threading.Thread(target=self._server.serve_forever, name="supervisor-status", daemon=True).start()

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class Supervisor:
    """Run ``command`` as the worker's child process until asked to stop; see the module docstring."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        bootstrap_servers: Sequence[str],
        web_host: str,
        web_port: int,
        backoff: Backoff | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.command = list(command)
        self.servers = list(bootstrap_servers)
        self.backoff = backoff or Backoff()
        self.env = dict(os.environ if env is None else env)
        self.restarts = 0
        self.waiting_for = "start"
        self._stop = threading.Event()
        self._child: subprocess.Popen[bytes] | None = None
        self._status = _StatusServer(
            web_host, web_port, lambda: {"restarts": self.restarts, "waiting_for": self.waiting_for}
        )

    def _state(self) -> dict[str, Any]:
        return {"restarts": self.restarts, "waiting_for": self.waiting_for}

    def request_stop(self, signum: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
        """Stop: pass the signal on to the child (which drains and commits) and start no other."""
        self._stop.set()
        child = self._child
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self.request_stop)

    def run(self) -> int:
        """Supervise until stopped; return the exit status for the worker command."""
        delay: float | None = None
        try:
            while not self._stop.is_set():
                self._status.open()
                if not self._wait_for_broker():
                    break
                self._status.close()
                started = time.monotonic()
                status = self._run_child()
                if self._stop.is_set():
                    return status
                ran_for = time.monotonic() - started
                self.restarts += 1
                delay = self.backoff.next(delay, ran_for)
                log.warning(
                    "worker process exited with status %s after %.0f s; starting it again in %.0f s (restart %d)",
                    status,
                    ran_for,
                    delay,
                    self.restarts,
                )
                self.waiting_for = "backoff"
                self._status.open()
                self._stop.wait(delay)
            return 0
        finally:
            self._status.close()

    def _wait_for_broker(self) -> bool:
        self.waiting_for = "broker"
        warned = False
        while not self._stop.is_set():
            if broker_accepts(self.servers):
                return True
            if not warned:
                log.warning("no broker accepts connections at %s; waiting for one", ",".join(self.servers))
                warned = True
            self._stop.wait(1.0)
            self._status.open()  # in case the port was still held when first tried
        return False

    def _run_child(self) -> int:
        env = {**self.env, RESTARTS_ENV: str(self.restarts)}
        self.waiting_for = "none"
        preexec = _die_with_parent if sys.platform.startswith("linux") else None
        self._child = subprocess.Popen(self.command, env=env, preexec_fn=preexec)
        try:
            if self._stop.is_set():  # asked to stop while it was starting: pass it on
                self._child.send_signal(signal.SIGTERM)
            status = self._child.wait()
        finally:
            self._child = None
        if status < 0 and self._stop.is_set():
            return 0 if -status in (signal.SIGTERM, signal.SIGINT) else 128 - status
        return status if status >= 0 else 128 - status
