"""Mutation testing of the security-critical code with mutmut: a score per module.

Usage (from the repository root; slow, not part of the CI run)::

    python benchmarks/mutation.py                     # every group
    python benchmarks/mutation.py errors auth         # some groups
    python benchmarks/mutation.py --max-children 2 --workdir /tmp/mutation

Each group (``auth``, ``forms``, ``errors``, ``schemas``) is mutated in a scratch copy
of the repository (mutmut writes its ``mutants/`` tree next to the code it mutates),
against the test files that exercise it, on SQLite only and without the slow
multi-process tests, so that a run fits on a laptop. mutmut runs, for each mutant, only
the tests that reached the mutated function.

The score is killed / (killed + survived + timeout + suspicious); mutants no test
reached count as survivors. ``mutmut results`` / ``mutmut show <name>`` in the
group's scratch directory list and show the survivors.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Group -> (globs of the modules to mutate, test files that exercise them).
GROUPS: dict[str, tuple[list[str], list[str]]] = {
    "errors": (
        ["src/flask_toolkit/errors.py"],
        ["tests/test_errors.py", "tests/test_validation.py", "tests/test_auth.py"],
    ),
    "auth": (
        ["src/flask_toolkit/auth/*"],
        [
            "tests/test_auth.py",
            "tests/test_auth_security.py",
            "tests/test_auth_session.py",
            "tests/test_auth_stores.py",
            "tests/test_auth_answers.py",
            "tests/test_auth_hostile.py",
            "tests/test_auth_hook.py",
            "tests/test_auth_config.py",
            "tests/test_auth_targets.py",
            "tests/test_auth_cookies.py",
            "tests/test_openapi_app.py",
        ],
    ),
    "forms": (
        ["src/flask_toolkit/forms/*"],
        [
            "tests/test_forms.py",
            "tests/test_validation.py",
            "tests/test_validation_property.py",
            "tests/test_fastpath.py",
            "tests/test_hostile.py",
            "tests/test_numbers.py",
            "tests/test_rest_semantics.py",
            "tests/test_jsonschema.py",
            "tests/test_templates.py",
            "tests/test_body_reading.py",
            "tests/test_loading_values.py",
        ],
    ),
    "schemas": (
        ["src/flask_toolkit/scheduler/schemas.py"],
        [
            "tests/test_scheduler_api_validation.py",
            "tests/test_scheduler_api_rules.py",
            "tests/test_scheduler_api_compat.py",
            "tests/test_scheduler_api_security.py",
            "tests/test_scheduler_api_listing.py",
        ],
    ),
}

#: Group -> (regex of source lines mutmut is told not to mutate, why). Only code that
#: mutmut cannot test by the way it works: it imports the code and runs the whole test
#: selection once in its main process, then forks one child per mutant and switches the
#: mutant on there. Code that runs at import (a class body calling a helper) ran before
#: any mutant was on, and a cache that the first run filled is already full in every
#: child, so their mutants survive whatever the tests assert. The tests that pin the
#: behaviour of these lines are named in benchmarks/README.md.
NOT_MUTATED: dict[str, list[tuple[str, str]]] = {
    "schemas": [
        (
            r"limit = _INTERVAL_LIMITS\[unit\]|NumberRange\(0, limit\)",
            "_interval_field() runs only in IntervalTriggerForm's class body",
        ),
        (
            r"_FIELD_NAMES\.get\(form_class\)|if names is None:"
            r"|form_class\(json=\{\}, query=None\)|_FIELD_NAMES\[form_class\] =",
            "field_names() caches per form class; the first run filled the cache",
        ),
    ],
}

#: Copied into each scratch directory.
COPIED = ["src", "tests", "examples", "docs", "pyproject.toml"]

_RESULT = re.compile(r"^\s*(?P<name>\S+?)__mutmut_\d+: (?P<status>[\w ]+)$")


def mutmut_config(
    globs: list[str],
    tests: list[str],
    max_children: int,
    not_mutated: list[str] | None = None,
    fresh: bool = False,
) -> str:
    """The ``[tool.mutmut]`` table for one group.

    :param fresh: fork each mutant's worker from a server process that imported
        nothing of the code, instead of from the process that ran the tests: caches
        the code fills once (per form class, per app) are then filled by the mutant.
    """

    def toml_list(items: list[str]) -> str:
        return "[" + ", ".join(f'"{item}"' for item in items) + "]"

    pytest_args = [
        "-p",
        "no:cacheprovider",
        "-q",
        "-x",
        "-m",
        "not slow and not postgresql and not mariadb",
    ]
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["src/"]\n'
        f"only_mutate = {toml_list(globs)}\n"
        f"pytest_add_cli_args_test_selection = {toml_list(tests)}\n"
        f"pytest_add_cli_args = {toml_list(pytest_args)}\n"
        "use_git_change_detection = false\n"
        + (
            'process_isolation = "forkserver"\nforkserver_warmup = "none"\n'
            if fresh
            else ""
        )
        +
        # Some auth tests log in to the demo app.
        'also_copy = ["examples/"]\n'
        # TOML literal strings: the patterns' backslashes stay as they are.
        "do_not_mutate_patterns = ["
        + ", ".join(f"'{pattern}'" for pattern in not_mutated or [])
        + "]\n"
    )


def run_group(
    name: str,
    workdir: Path,
    max_children: int,
    only: list[str] | None = None,
    fresh: bool = False,
) -> dict[str, collections.Counter[str]]:
    """Mutate one group in ``workdir / name``; return the statuses per module.

    :param only: globs that narrow the modules mutated (default: the whole group).
    :param fresh: see :func:`mutmut_config`.
    """
    globs, tests = GROUPS[name]
    if only:
        globs = only
    scratch = workdir / name
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir(parents=True)
    for item in COPIED:
        source = ROOT / item
        if source.is_dir():
            shutil.copytree(
                source,
                scratch / item,
                ignore=shutil.ignore_patterns("__pycache__", "_build"),
            )
        else:
            shutil.copy2(source, scratch / item)
    with (scratch / "pyproject.toml").open("a", encoding="utf-8") as f:
        patterns = [pattern for pattern, _ in NOT_MUTATED.get(name, [])]
        f.write(mutmut_config(globs, tests, max_children, patterns, fresh))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    mutmut = [sys.executable, "-m", "mutmut"]
    subprocess.run(
        [*mutmut, "run", "--max-children", str(max_children)],
        cwd=scratch,
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
    )
    listing = subprocess.run(
        [*mutmut, "results", "--all", "true"],
        cwd=scratch,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    per_module: dict[str, collections.Counter[str]] = collections.defaultdict(
        collections.Counter
    )
    for line in listing.splitlines():
        match = _RESULT.match(line)
        if match is None:
            continue
        module = match["name"].rsplit(".", 1)[0]
        per_module[module][match["status"].strip()] += 1
    return per_module


def score(counts: collections.Counter[str]) -> tuple[int, int]:
    """(killed, counted): skipped and not-checked mutants are not counted."""
    killed = counts["killed"]
    counted = killed + sum(
        counts[s] for s in ("survived", "timeout", "suspicious", "no tests")
    )
    return killed, counted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("groups", nargs="*", help=f"some of {', '.join(GROUPS)}")
    parser.add_argument("--max-children", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--only",
        action="append",
        help="mutate only the files matching this glob (repeatable), e.g."
        " 'src/flask_toolkit/auth/tokens.py'",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="run each mutant in a worker that imported the code with the mutant on"
        " (slower; needed where the code keeps what it works out once)",
    )
    args = parser.parse_args(argv)
    groups = args.groups or list(GROUPS)
    unknown = set(groups) - set(GROUPS)
    if unknown:
        parser.error(f"unknown groups {sorted(unknown)}; choose from {list(GROUPS)}")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="toolkit-mutation-"))
    total_killed = total_counted = 0
    print(f"{'module':50} {'killed':>7} {'of':>5} {'score':>7}   (scratch: {workdir})")
    for group in groups:
        for module, counts in sorted(
            run_group(group, workdir, args.max_children, args.only, args.fresh).items()
        ):
            killed, counted = score(counts)
            total_killed += killed
            total_counted += counted
            pct = 100 * killed / counted if counted else 100.0
            print(f"{module:50} {killed:7} {counted:5} {pct:6.1f}%", flush=True)
    if total_counted:
        pct = 100 * total_killed / total_counted
        print(f"{'all':50} {total_killed:7} {total_counted:5} {pct:6.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
