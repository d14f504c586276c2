"""The Makefile keeps one virtual environment (issue 14, item 7).

A user's `python3.11` is often a pyenv shim: a script in front of the real
interpreter. uv compared the shim's path with the interpreter .venv was made
from, removed .venv and built it again on every target, so `make test` and
`make serve` in one checkout deleted each other's environment.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _shim_dir(tmp_path: Path) -> Path:
    """A directory whose python3.11 is a shim, as pyenv writes one."""
    shims = tmp_path / "shims"
    shims.mkdir()
    shim = shims / "python3.11"
    shim.write_text(f'#!/bin/sh\nexec "{sys._base_executable}" "$@"\n')
    shim.chmod(0o755)
    return shims


def _make(target: str, checkout: Path, shims: Path) -> str:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHON", "MAKEFLAGS"}
    }
    env["PATH"] = f"{shims}{os.pathsep}{env['PATH']}"
    # The fixed command `make <target>`, found on PATH as a user's shell finds it.
    done = subprocess.run(  # noqa: S603
        ["make", target],  # noqa: S607
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_a_second_make_target_reuses_the_venv_behind_a_pyenv_shim(tmp_path):
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for name in ("Makefile", "pyproject.toml", "uv.lock", "README.md"):
        shutil.copy(ROOT / name, checkout / name)
    # uv itself, as the checkout's first `make` installed it; installing it
    # again would only test PyPI.
    (checkout / ".bootstrap").symlink_to(ROOT / ".bootstrap")
    shims = _shim_dir(tmp_path)

    _make("install", checkout, shims)
    venv = checkout / ".venv"
    first = venv.stat().st_ino

    again = _make("install", checkout, shims)

    assert "Removed virtual environment" not in again
    assert venv.stat().st_ino == first
    assert (venv / "bin" / "python").exists()


def test_make_soak_runs_the_soak_marker_that_make_test_leaves_out():
    """`make soak` is the home of the long runs (issue 12): documented, deselected by default."""
    import tomllib

    # The fixed command `make -n soak`: what the target would run, without running it.
    planned = subprocess.run(
        ["make", "-n", "soak"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "pytest -m soak" in planned
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert any(marker.startswith("soak:") for marker in options["markers"])
    # A later `-m` on the command line (`pytest -m soak`) overrides the one in addopts.
    assert "-m 'not soak'" in options["addopts"]
    readme = (ROOT / "README.md").read_text()
    assert "make soak" in readme and "@pytest.mark.soak" in readme
