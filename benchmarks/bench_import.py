"""Import cost: ``import flask_toolkit`` against the stack it replaces, as ratios.

Run from the repository root::

    python benchmarks/bench_import.py [--rounds 21]

Each round starts two fresh interpreters back to back (the order alternates between
rounds) and has each import one side and build one app with it:

* **stack**: Flask, Flask-SQLAlchemy, Flask-WTF and Flask-APScheduler (what an existing
  app already has for what the toolkit does), each registered on the app;
* **toolkit**: ``flask_toolkit`` and ``Toolkit(app)`` on an app that does not schedule.

Each interpreter reports its own wall time for the imports plus the app, and the number
of modules loaded (bytecode is cached for both, as after ``pip install``). Printed: the
median of the per-round ratios stack / toolkit (above 1.0: the toolkit is faster) and
the median module counts; plain Flask is shown for scale. Interpreter start-up is not
counted (each side is timed inside its interpreter).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile

SNIPPETS = {
    "flask": """
from flask import Flask
app = Flask("bench")
""",
    "stack": """
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from flask_apscheduler import APScheduler
app = Flask("bench", instance_path=INSTANCE)
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
SQLAlchemy(app)
CSRFProtect(app)
APScheduler().init_app(app)
""",
    "toolkit": """
from flask import Flask
from flask_toolkit import Toolkit
app = Flask("bench", instance_path=INSTANCE)
app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite://"
Toolkit(app)
""",
}

RUNNER = """
import sys, time, json
INSTANCE = {instance!r}
start = time.perf_counter()
exec(compile({code!r}, "<bench>", "exec"))
elapsed = time.perf_counter() - start
print(json.dumps({{"seconds": elapsed, "modules": len(sys.modules)}}))
"""


#: Installed packages import from cached bytecode; so must the code under test (the
#: warm-up rounds write it), else its modules are compiled in every round.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(name: str, instance: str) -> dict[str, float]:
    code = RUNNER.format(instance=instance, code=SNIPPETS[name])
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=ENV,
    ).stdout
    return t_cast(json.loads(out.strip().splitlines()[-1]))


def t_cast(value: object) -> dict[str, float]:
    assert isinstance(value, dict)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=21)
    args = parser.parse_args()
    ratios: list[float] = []
    results: dict[str, list[dict[str, float]]] = {k: [] for k in SNIPPETS}
    with tempfile.TemporaryDirectory() as instance:
        for name in SNIPPETS:  # warm the file system cache
            measure(name, instance)
        for i in range(args.rounds):
            order = ["stack", "toolkit"] if i % 2 == 0 else ["toolkit", "stack"]
            round_ = {name: measure(name, instance) for name in order}
            results["flask"].append(measure("flask", instance))
            for name in order:
                results[name].append(round_[name])
            ratios.append(round_["stack"]["seconds"] / round_["toolkit"]["seconds"])
    print(f"Python {platform.python_version()}, {args.rounds} paired rounds")
    print(f"{'side':<10}{'median ms':>12}{'modules':>10}")
    for name, rows in results.items():
        ms = statistics.median(r["seconds"] for r in rows) * 1000
        modules = statistics.median(r["modules"] for r in rows)
        print(f"{name:<10}{ms:>12.1f}{modules:>10.0f}")
    print(
        f"toolkit vs stack: {statistics.median(ratios):.2f}x as fast"
        " (median of paired ratios stack/toolkit; goal >= 1.0)"
    )


if __name__ == "__main__":
    main()
