"""``frontoffice serve --workers N``: N bot processes on one port, one supervisor.

The parent migrates the database once, reserves the port, and starts N workers
(``python -m frontoffice serve``), each in a session of its own, listening on the same
address with ``SO_REUSEPORT``: the kernel spreads new connections over them. Everything
the workers share lives in PostgreSQL (tickets, dialogs, outbox, notifications, the
notification send budget); see docs/ARCHITECTURE.md "Scale-out". SQLite is one process,
so more than one worker on SQLite is refused.

The parent restarts nothing. SIGTERM or SIGINT is forwarded (as SIGTERM) to every worker,
which finishes its requests and background work and stops; the parent then exits 0.
A worker that exits on its own is logged at ERROR, the others are stopped and the
parent exits 1, so that the service manager (systemd ``Restart=on-failure``, a container
runtime) restarts the whole set and the failure is seen rather than hidden.

Workers ask the kernel to SIGTERM them when the parent dies (``PR_SET_PDEATHSIG``,
Linux), so a killed parent leaves no worker behind. ``FRONTOFFICE_CLUSTER_WORKER`` (set
by the parent, not by people) tells a worker its number; it answers every request with
an ``X-Worker`` header carrying that number.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from types import FrameType

from sqlalchemy.engine import make_url

from frontoffice.settings import Settings
from servicedesk.errors import ConfigurationError

log = logging.getLogger(__name__)
WORKER_ENV = "FRONTOFFICE_CLUSTER_WORKER"
STOP_GRACE_SECONDS = 20.0  # a worker's own shutdown grace (10 s) and some
_PR_SET_PDEATHSIG = 1


def check_cluster(settings: Settings) -> None:
    """Refuse settings that several workers cannot run on."""
    if settings.workers <= 1:
        return
    backend = make_url(settings.db_url).get_backend_name()
    if backend != "postgresql":
        raise ConfigurationError(
            f"--workers {settings.workers} needs PostgreSQL: SQLite is one process. Run "
            f"FRONTOFFICE_DB_URL=postgresql://USER@HOST/DB frontoffice serve --workers "
            f"{settings.workers} (or --db postgresql://USER@HOST/DB), or use --workers 1."
        )


def worker_index() -> int:
    """This process's worker number (1..N) when started by ``run_cluster``, else 0."""
    value = os.environ.get(WORKER_ENV, "")
    return int(value) if value.isdigit() else 0


def die_with_parent() -> None:
    """Ask Linux to SIGTERM this worker when its parent dies (no orphan keeps the port)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() == 1:  # the parent died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _reserve_port(host: str, port: int) -> socket.socket:
    """Bind (without listening) with SO_REUSEPORT: fails at once when another program holds
    the port, and turns port 0 into a real one. Kept open while the workers run."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    probe = socket.socket(family, socket.SOCK_STREAM)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        probe.bind((host, port))
    except OSError as exc:
        probe.close()
        raise ConfigurationError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    return probe


def run_cluster(settings: Settings) -> int:
    """Start ``settings.workers`` workers and supervise them until a signal or a death."""
    check_cluster(settings)
    if settings.migrate_on_start:
        from servicedesk.persistence.database import migrate

        revision = migrate(settings.db_url)  # once, before any worker starts
        log.info("database migrated", extra={"revision": revision})
    probe = _reserve_port(settings.host, settings.port)
    port = probe.getsockname()[1]
    stopping: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    workers: dict[int, subprocess.Popen[bytes]] = {}
    # the workers sign and check the console's session cookies with one key, so that a
    # request reaching another worker keeps its session (a random one if none is set)
    console_secret = settings.console_secret or secrets.token_urlsafe(32)
    code = 0
    try:
        for index in range(1, settings.workers + 1):
            env = {
                **os.environ,
                "FRONTOFFICE_DB_URL": settings.db_url,
                "FRONTOFFICE_HOST": settings.host,
                "FRONTOFFICE_PORT": str(port),
                "FRONTOFFICE_WORKERS": "1",
                "FRONTOFFICE_MIGRATE_ON_START": "false",
                "FRONTOFFICE_CONSOLE_SECRET": console_secret,
                WORKER_ENV: str(index),
            }
            workers[index] = subprocess.Popen(
                [sys.executable, "-m", "frontoffice", "serve"],
                env=env,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # a terminal's Ctrl-C reaches the parent only
            )
        log.info(
            "cluster started",
            extra={
                "workers": settings.workers,
                "pids": [p.pid for p in workers.values()],
                "port": port,
            },
        )
        while not stopping:
            dead = {i: p.returncode for i, p in workers.items() if p.poll() is not None}
            if dead:
                for index, returncode in dead.items():
                    log.error(
                        "worker exited; stopping the others",
                        extra={"worker": index, "pid": workers[index].pid, "code": returncode},
                    )
                code = 1
                break
            time.sleep(0.2)
        if stopping:
            log.info("stopping the workers", extra={"signal": signal.Signals(stopping[0]).name})
        _stop(workers)
        if stopping and any(p.returncode != 0 for p in workers.values()):
            code = 1
    finally:
        _stop(workers)
        probe.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return code


def _stop(workers: dict[int, subprocess.Popen[bytes]]) -> None:
    """SIGTERM every running worker, wait for all; SIGKILL what is left after the grace."""
    for proc in workers.values():
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for index, proc in workers.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.error("worker did not stop; killed", extra={"worker": index, "pid": proc.pid})
            proc.kill()
            proc.wait()
