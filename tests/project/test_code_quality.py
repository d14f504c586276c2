"""Lint, migrations and the OpenAPI schema are part of the suite, so `make test` checks them."""

import subprocess
import sys
from io import StringIO
from pathlib import Path

from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_ruff_check_is_clean():
    result = subprocess.run(  # noqa: S603
        [str(BIN / "ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_migrations_match_the_models(db):
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:
        raise AssertionError(f"Models changed without a migration:\n{out.getvalue()}") from exc
    assert "No changes detected" in out.getvalue()


def test_openapi_schema_is_valid_and_has_no_warnings(tmp_path):
    schema = tmp_path / "schema.yml"
    result = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--validate",
            "--fail-on-warn",
            "--file",
            str(schema),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    text = schema.read_text()
    for path in ["/api/v1/auth/token/", "/api/v1/me/", "/api/v1/users/", "/api/v1/jobs/{id}/"]:
        assert f"  {path}:" in text, path


def test_no_production_code_imports_the_tests_and_the_image_leaves_them_out():
    """The demo and the benches build their data with workers/factories.py, never tests/."""
    import ast

    importers = []
    folders = (
        "config",
        "core",
        "mentoring",
        "donations",
        "oversight",
        "workers",
        "console",
        "bench",
    )
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                if any(name == "tests" or name.startswith("tests.") for name in names):
                    importers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert importers == []
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert "tests/" in ignored and "bench/" in ignored


def test_the_imports_go_in_the_directions_the_contracts_say():
    """import-linter (pyproject.toml [tool.importlinter]): domain apps never import workers or
    config, core imports no domain app, the solver and the report's arithmetic no Django."""
    done = subprocess.run(  # noqa: S603 - this environment's own lint-imports
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_no_python_file_is_over_600_lines_outside_migrations():
    """A file that long holds more than one responsibility: split it by what it does."""
    tracked = subprocess.run(
        ["git", "ls-files", "*.py"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    too_long = {
        name: length
        for name in tracked
        if "/migrations/" not in name
        and (length := len((ROOT / name).read_text(encoding="utf-8").splitlines())) > 600
    }
    assert tracked and not too_long, too_long
