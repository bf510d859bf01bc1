"""The worker's supervisor: restarts with backoff, a web port answered while restarting, stop passed on, and a
child that dies with it. Children here are small Python scripts, not Faust workers."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from streams.runtime.supervisor import RESTARTS_ENV, Backoff, Supervisor, broker_accepts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def listening() -> Iterator[str]:
    """A TCP port that accepts connections, standing in for a broker."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"127.0.0.1:{sock.getsockname()[1]}"


def _child(tmp_path: Path, fail_times: int) -> list[str]:
    """A child that records each start (with the restarts it was told) and fails ``fail_times`` times, then runs
    until SIGTERM and exits 0."""
    script = tmp_path / "child.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import os, signal, sys, time
            from pathlib import Path
            runs = Path({str(tmp_path / "runs")!r})
            with runs.open("a") as f:
                f.write(os.environ.get({RESTARTS_ENV!r}, "?") + " " + str(os.getpid()) + "\\n")
            if len(runs.read_text().splitlines()) <= {fail_times}:
                sys.exit(3)
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
            while True:
                time.sleep(0.05)
            """
        )
    )
    return [sys.executable, str(script)]


def _runs(tmp_path: Path) -> list[tuple[str, int]]:
    path = tmp_path / "runs"
    if not path.exists():
        return []
    return [(line.split()[0], int(line.split()[1])) for line in path.read_text().splitlines()]


def _until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _get(port: int, path: str) -> tuple[int, dict[str, object] | str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            body = response.read().decode()
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = error.read().decode(), error.code
    return status, (json.loads(body) if body.startswith("{") else body)


def _start(supervisor: Supervisor) -> tuple[threading.Thread, list[int]]:
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(supervisor.run()), daemon=True)
    thread.start()
    return thread, result


def test_backoff_doubles_on_quick_failures_and_starts_over_after_a_healthy_run() -> None:
    backoff = Backoff(initial=1.0, maximum=5.0, healthy_after=60.0)
    delays = [backoff.next(None, 0.0)]
    for _ in range(4):
        delays.append(backoff.next(delays[-1], 1.0))
    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert backoff.next(5.0, 61.0) == 1.0


def test_a_failing_child_is_started_again_until_it_runs_then_stop_is_passed_on(tmp_path: Path, listening: str) -> None:
    supervisor = Supervisor(
        _child(tmp_path, fail_times=2),
        bootstrap_servers=[listening],
        web_host="127.0.0.1",
        web_port=_free_port(),
        backoff=Backoff(initial=0.05, maximum=0.1),
    )
    thread, result = _start(supervisor)
    _until(lambda: len(_runs(tmp_path)) == 3)
    assert [told for told, _ in _runs(tmp_path)] == ["0", "1", "2"]  # each child told how many restarts so far
    time.sleep(0.3)
    assert supervisor.restarts == 2  # the third run lives on: no further restart
    supervisor.request_stop()
    thread.join(10)
    assert result == [0]  # the child drained and exited 0 on SIGTERM
    assert len(_runs(tmp_path)) == 3  # nothing started after the stop


def test_the_web_port_answers_while_restarting(tmp_path: Path, listening: str) -> None:
    port = _free_port()
    supervisor = Supervisor(
        _child(tmp_path, fail_times=1),
        bootstrap_servers=[listening],
        web_host="127.0.0.1",
        web_port=port,
        backoff=Backoff(initial=3.0, maximum=3.0),
    )
    thread, result = _start(supervisor)
    _until(lambda: len(_runs(tmp_path)) == 1 and supervisor.waiting_for == "backoff")
    _until(lambda: _reachable(port))
    assert _get(port, "/healthz") == (200, {"status": "restarting", "restarts": 1, "waiting_for": "backoff"})
    assert _get(port, "/readyz") == (503, {"ready": False, "restarts": 1, "waiting_for": "backoff"})
    status, metrics = _get(port, "/metrics")
    assert status == 200
    assert "streams_worker_restarts 1\n" in str(metrics)
    supervisor.request_stop()
    thread.join(10)
    assert result == [0]
    assert len(_runs(tmp_path)) == 1  # stopped during the backoff: no second start


def test_no_child_starts_until_the_broker_accepts_connections(tmp_path: Path) -> None:
    port = _free_port()
    closed = f"127.0.0.1:{_free_port()}"
    supervisor = Supervisor(
        _child(tmp_path, fail_times=0), bootstrap_servers=[closed], web_host="127.0.0.1", web_port=port
    )
    thread, result = _start(supervisor)
    _until(lambda: _reachable(port))
    assert _get(port, "/healthz") == (200, {"status": "restarting", "restarts": 0, "waiting_for": "broker"})
    time.sleep(1.5)
    assert _runs(tmp_path) == []
    supervisor.request_stop()
    thread.join(10)
    assert result == [0]
    assert _runs(tmp_path) == []


def test_broker_accepts_tells_an_open_port_from_a_closed_one(listening: str) -> None:
    assert broker_accepts([listening])
    assert not broker_accepts([f"127.0.0.1:{_free_port()}"])
    assert broker_accepts([f"127.0.0.1:{_free_port()}", listening])  # any of the bootstrap servers


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_child_dies_with_a_killed_supervisor(tmp_path: Path, listening: str) -> None:
    program = textwrap.dedent(
        f"""
        from streams.runtime.supervisor import Supervisor
        Supervisor({_child(tmp_path, fail_times=0)!r}, bootstrap_servers=[{listening!r}], web_host="127.0.0.1",
                   web_port={_free_port()}).run()
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", program])
    try:
        _until(lambda: len(_runs(tmp_path)) == 1)
        (_, child_pid) = _runs(tmp_path)[0]
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        _until(lambda: not _alive(child_pid))
    finally:
        if parent.poll() is None:
            parent.kill()


def _reachable(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "State:\tZ" in status.read_text())
