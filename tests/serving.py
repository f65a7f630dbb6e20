"""A real gunicorn serving an app factory on a free local port, for the tests and benches that
need real processes (tests/assembly/test_served_faults.py, bench/bench_writes.py,
bench/bench_assembly.py).

The tests import it as `serving` (pytest puts tests/ on the path); a bench run by hand from the
repository's root adds tests/ to the end of its path first. gunicorn comes with the `bench` extra.
"""

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A free local TCP port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def worker_pids(master: subprocess.Popen) -> set[int]:
    """The gunicorn master's worker processes (Linux /proc)."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children")
    return {int(pid) for pid in children.read_text().split()}


class Gunicorn:
    """A gunicorn master started on ``factory`` ("module:make_app()"), with ``workers`` sync
    workers, from the repository's root; ``options`` are more gunicorn arguments, ``env`` more
    environment, ``path`` more folders to import the factory from. Stopped on leaving a `with`.
    """

    def __init__(
        self,
        factory: str,
        *,
        workers: int,
        options: Iterable[str] = (),
        env: dict[str, str] | None = None,
        path: Iterable[Path] = (),
    ):
        self.workers = workers
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "gunicorn", "--workers", str(workers)]
        command += ["--bind", f"127.0.0.1:{self.port}", "--log-level", "warning"]
        # No control socket (gunicorn 25.1): every master started here would take the same path
        # in the home folder, and several run at once (the benches' servers, the fault tests).
        command += ["--no-control-socket", *options]
        pythonpath = os.pathsep.join(str(folder) for folder in (ROOT, *path))
        self.process = subprocess.Popen(  # noqa: S603 - our own command, local address only
            [*command, factory],
            cwd=ROOT,
            env={**os.environ, **(env or {}), "PYTHONPATH": pythonpath},
        )

    def wait_until_up(self, seconds: float) -> None:
        """Return once /healthz answers 200 and every worker has booted; raise if gunicorn
        exits first or is not up within ``seconds``."""
        deadline = time.monotonic() + seconds
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}) before answering")
            if self._healthy() and len(worker_pids(self.process)) >= self.workers:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"gunicorn was not up on {self.base} within {seconds} s")
            time.sleep(0.2)

    def _healthy(self) -> bool:
        """Whether /healthz answers 200 now."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def stop(self) -> None:
        """Ask the master to stop (SIGTERM), kill it if it is still there 20 s later."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "Gunicorn":
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()
