"""The supply-chain checks CI runs before the tests (.ci/run): pip-audit and bandit."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / ".ci"))
import audit_dependencies  # noqa: E402  (.ci/audit_dependencies.py)

CLEAN = {"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []}], "fixes": []}
VULNERABLE = {
    "dependencies": [
        {
            "name": "django",
            "version": "5.2.19",
            "vulns": [{"id": "PYSEC-2099-1", "fix_versions": ["5.2.20"], "aliases": []}],
        }
    ],
    "fixes": [],
}
UNKNOWN = {"dependencies": [{"name": "django", "skip_reason": "Dependency not found on PyPI"}]}


@pytest.mark.parametrize(
    ("answers", "code", "said"),
    [
        ({"osv": CLEAN}, 0, "osv: 1 packages audited, 0 not, 0 vulnerable"),
        ({"osv": VULNERABLE}, 1, "django 5.2.19: PYSEC-2099-1 (fixed in 5.2.20)"),
        ({"osv": None, "pypi": VULNERABLE}, 1, "pypi: 1 packages audited, 0 not, 1 vulnerable"),
        ({"osv": None, "pypi": UNKNOWN}, 0, "nothing was audited"),
    ],
)
def test_the_audit_fails_on_a_vulnerability_and_says_when_it_could_not_look(
    monkeypatch, capsys, answers, code, said
):
    monkeypatch.setattr(audit_dependencies, "audit", lambda _path, service: answers.get(service))
    monkeypatch.delenv("AUDIT_REQUIRED", raising=False)

    assert audit_dependencies.main(["requirements.txt"]) == code
    assert said in capsys.readouterr().out


def test_an_audit_that_must_run_fails_when_no_service_answers(monkeypatch):
    monkeypatch.setattr(audit_dependencies, "audit", lambda _path, _service: None)
    monkeypatch.setenv("AUDIT_REQUIRED", "true")
    assert audit_dependencies.main(["requirements.txt"]) == 1


def test_bandit_finds_nothing_in_the_code_ci_scans():
    result = subprocess.run(  # noqa: S603 (our own command)
        [
            str(BIN / "bandit"),
            "-c",
            "pyproject.toml",
            "-r",
            "config",
            "core",
            "mentoring",
            "donations",
            "oversight",
            "workers",
            "console",
            "-q",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout
    assert (
        "bandit -c pyproject.toml -r config core mentoring donations oversight workers console"
        in (ROOT / ".ci" / "run").read_text()
    )
