"""Development commands for flask-toolkit, with nothing but Python >= 3.10 installed.

    python3 dev.py demo [flask run options...]   run the demo at http://127.0.0.1:5000
    python3 dev.py create-user EMAIL [options]   add a user to the demo
    python3 dev.py test [pytest options...]      run the test suite

Each creates ``.venv`` next to this file with the running interpreter if it is missing,
and installs the project into it when it is not installed yet or ``pyproject.toml``
changed since the last install: ``demo`` and ``create-user`` install only what the demo
needs (``pip install -e .[demo]``), ``test`` the test tools as well (``.[test]``).
"""

from __future__ import annotations

import glob
import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".flask-toolkit-install-stamp"
#: The extras each command needs; an install of a later one serves the earlier ones.
EXTRAS_ORDER = ("demo", "test")
DEMO_APP = "examples.taskboard:create_app"
DEMO_HOST = "127.0.0.1"
DEMO_PORT = "5000"
PYTEST_NO_TESTS_COLLECTED = 5

USAGE = __doc__.split("\n\n")[1]


def say(message: str) -> None:
    print(f"dev.py: {message}", flush=True)


def venv_python() -> Path:
    if sys.platform == "win32":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def venv_has_pip() -> bool:
    check = [str(venv_python()), "-m", "pip", "--version"]
    return subprocess.run(check, capture_output=True).returncode == 0


def create_venv() -> None:
    say(f"creating {VENV} with Python {sys.version.split()[0]}")
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    except (subprocess.CalledProcessError, OSError) as e:
        # Debian/Ubuntu ship ensurepip separately (python3-venv); pip from outside the
        # venv can install into it instead.
        say(f"could not bootstrap pip in the venv ({e}); continuing without it")
        venv.EnvBuilder(with_pip=False, clear=True).create(VENV)


def pip_command() -> list[str]:
    """pip for the venv: its own, or the running interpreter's aimed at the venv."""
    if venv_has_pip():
        return [str(venv_python()), "-m", "pip"]
    outer = [sys.executable, "-m", "pip"]
    if subprocess.run([*outer, "--version"], capture_output=True).returncode != 0:
        sys.exit(
            "dev.py: no pip available. Install pip for this Python (on Debian/Ubuntu:"
            " 'apt install python3-pip python3-venv'), delete .venv and try again."
        )
    return [*outer, "--python", str(venv_python())]


def install_fingerprint(extras: str) -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(f"\0extras={extras}\0python={venv_python()}".encode())
    return digest.hexdigest()


def installed_fingerprints() -> set[str]:
    return set(STAMP.read_text().split()) if STAMP.exists() else set()


def project_installed() -> bool:
    patterns = [
        VENV / "lib" / "python3*" / "site-packages" / "flask_toolkit-*.dist-info",
        VENV / "Lib" / "site-packages" / "flask_toolkit-*.dist-info",
    ]
    return any(glob.glob(str(pattern)) for pattern in patterns)


def ensure_environment(extras: str) -> Path:
    """Create the venv and install the project with ``extras`` into it, when needed.

    An install with a later extra of :data:`EXTRAS_ORDER` (``test``) also serves an
    earlier one (``demo``): the test extra includes everything the demo needs.
    """
    if not venv_python().exists():
        create_venv()
    wanted = EXTRAS_ORDER[EXTRAS_ORDER.index(extras) :]
    installed = installed_fingerprints()
    satisfied = any(install_fingerprint(e) in installed for e in wanted)
    if not satisfied or not project_installed():
        why = "not installed yet" if not installed else "pyproject.toml changed"
        if satisfied:
            why = "the install is missing"
        say(f"installing -e .[{extras}] into .venv ({why})")
        command = [*pip_command(), "install", "--disable-pip-version-check", "-q"]
        result = subprocess.run([*command, "-e", f".[{extras}]"], cwd=ROOT)
        if result.returncode != 0:
            STAMP.unlink(missing_ok=True)
            sys.exit(f"dev.py: pip install failed with exit code {result.returncode}")
        # Keep the stamps of this pyproject.toml only.
        current = {install_fingerprint(e) for e in EXTRAS_ORDER}
        STAMP.write_text(
            "\n".join(sorted((installed & current) | {install_fingerprint(extras)}))
            + "\n"
        )
    return venv_python()


def run(command: list[str]) -> int:
    """Run ``command`` in the project root; a SIGTERM to dev.py reaches it too."""
    process = subprocess.Popen(command, cwd=ROOT)
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, lambda signum, frame: process.terminate())
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            # The child got the Ctrl+C too (same process group); let it finish.
            continue


def demo(args: list[str]) -> int:
    python = ensure_environment("demo")
    say(f"demo app at http://{DEMO_HOST}:{DEMO_PORT}/ (Ctrl+C stops it)")
    flask = [str(python), "-m", "flask", "--app", DEMO_APP, "run"]
    return run([*flask, "--host", DEMO_HOST, "--port", DEMO_PORT, *args])


def create_user(args: list[str]) -> int:
    python = ensure_environment("demo")
    flask = [str(python), "-m", "flask", "--app", DEMO_APP]
    return run([*flask, "create-user", *args])


def test(args: list[str]) -> int:
    python = ensure_environment("test")
    code = run([str(python), "-m", "pytest", *args])
    if code == PYTEST_NO_TESTS_COLLECTED:
        say(
            "pytest collected no tests (exit code 5); that counts as a failure."
            " Check the test paths and -k/-m selection."
        )
        return 1
    return code


COMMANDS = {"demo": demo, "create-user": create_user, "test": test}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(USAGE, file=sys.stderr)
        return 0 if argv and argv[0] in ("-h", "--help", "help") else 2
    if sys.version_info < (3, 10):  # noqa: UP036 (dev.py may run on any python3)
        sys.exit("dev.py: flask-toolkit needs Python 3.10 or newer.")
    os.environ.setdefault("PIP_NO_INPUT", "1")
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
