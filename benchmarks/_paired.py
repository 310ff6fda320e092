"""Shared helpers of the benchmarks: paired rounds, honest ratios, gunicorn + wrk.

A ratio is never "best of A / best of B": on a busy machine the best runs of A and B
happen at different moments. Each round runs every variant back to back, the order
alternating from round to round, and the ratio of two variants is computed within the
round; the median over the rounds is printed, with the range (and the interquartile
range) so the noise is visible next to the figure.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import typing as t
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"

Round = dict[str, float]


def paired_rounds(
    variants: t.Mapping[str, t.Callable[[], float]], rounds: int
) -> list[Round]:
    """Run every variant once per round, order alternating; return each round's speeds.

    :param variants: name -> a callable returning a speed (higher is better).
    """
    names = list(variants)
    out: list[Round] = []
    for number in range(rounds):
        order = names if number % 2 == 0 else names[::-1]
        out.append({name: variants[name]() for name in order})
    return out


def ratios(rounds: list[Round], subject: str, peer: str) -> list[float]:
    """Per round: the subject's speed / the peer's speed."""
    return [r[subject] / r[peer] for r in rounds]


def quartiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 4:
        return min(values), max(values)
    q = statistics.quantiles(values, n=4)
    return q[0], q[2]


def describe(values: list[float]) -> str:
    """``median (p25–p75, min–max over n rounds)``."""
    lo, hi = quartiles(values)
    return (
        f"{statistics.median(values):.3f}x (IQR {lo:.2f}-{hi:.2f},"
        f" range {min(values):.2f}-{max(values):.2f}, n={len(values)})"
    )


def verdict(value: float, goal: float, at_most: bool = False) -> str:
    met = value <= goal if at_most else value >= goal
    sign = "<=" if at_most else ">="
    return f"{'meets' if met else 'MISSES'} the goal {sign} {goal}"


# -- gunicorn + wrk ----------------------------------------------------------------


def wrk_missing() -> str | None:
    """Why the gunicorn + wrk mode cannot run here, or ``None`` if it can."""
    if shutil.which("wrk") is None:
        return "wrk is not installed (Debian: apt-get install wrk)"
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return "gunicorn is not installed"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def gunicorn(app_spec: str, workers: int = 2) -> t.Iterator[str]:
    """Serve ``app_spec`` (``module:factory('arg')``, from benchmarks/) on loopback.

    Yields the base URL once the server answers.
    """
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(
            [str(SRC), str(HERE), os.environ.get("PYTHONPATH", "")]
        ),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app_spec,
        ],
        cwd=HERE,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"gunicorn {app_spec} exited: {process.returncode}")
            try:
                urllib.request.urlopen(url + "/", timeout=1).close()
            except urllib.error.HTTPError:
                break  # it answers (404 on /)
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn {app_spec} did not start") from None
                time.sleep(0.2)
            else:
                break
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def wrk(
    url: str,
    seconds: float,
    connections: int = 8,
    method: str = "GET",
    body: str | None = None,
    headers: t.Mapping[str, str] | None = None,
    refused: bool = False,
) -> float:
    """Requests per second that ``wrk`` measured against ``url``.

    :param refused: every answer must be an error (an invalid body); otherwise every
        answer must be a 2xx.
    """
    lines = [f'wrk.method = "{method}"']
    if body is not None:
        lines.append(f"wrk.body = [[{body}]]")
    for name, value in (headers or {}).items():
        lines.append(f'wrk.headers["{name}"] = "{value}"')
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + "\n")
    try:
        result = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "-s",
                script.name,
                url,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
    finally:
        os.unlink(script.name)
    total = re.search(r"(\d+) requests in", result.stdout)
    errors = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", result.stdout)
    wanted = int(total.group(1)) if refused and total else 0
    if (int(errors.group(1)) if errors else 0) != wanted or "Socket errors" in (
        result.stdout
    ):
        raise SystemExit(f"{url}: unexpected answers\n{result.stdout}")
    match = re.search(r"Requests/sec:\s*([\d.]+)", result.stdout)
    if match is None:
        raise SystemExit(f"wrk output not understood:\n{result.stdout}")
    return float(match.group(1))
