"""pip-audit over the locked requirements; exits 1 when a dependency has a known vulnerability.

    .venv/bin/python .ci/audit_dependencies.py var/requirements-audit.txt

The requirements come from `uv export --frozen --no-hashes` (.ci/run), so
the versions audited are exactly those of uv.lock. pip-audit asks OSV first,
then PyPI's JSON API; a service that cannot be reached, or that knows none
of the packages, gives way to the next. When no service knows any package
nothing has been audited: that is printed loudly, and fails the run only
with AUDIT_REQUIRED=true, since CI must not depend on a service outside
its control being reachable. (Where this was written, OSV's name did not
resolve and PyPI served no per-version JSON.)

A vulnerability that does not apply is ignored only with its reason, in
IGNORED below.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

PIP_AUDIT = Path(sys.executable).parent / "pip-audit"
SERVICES = ["osv", "pypi"]
# Vulnerability id -> why it does not apply to Bangfu. Empty: none is ignored.
IGNORED: dict[str, str] = {}


def audit(requirements: Path, service: str) -> dict | None:
    """pip-audit's JSON report, or None when the service could not be asked."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        command = [
            str(PIP_AUDIT),
            "--requirement",
            str(requirements),
            "--no-deps",  # the export lists every package, pinned
            "--disable-pip",
            "--vulnerability-service",
            service,
            "--progress-spinner",
            "off",
            "--format",
            "json",
            "--output",
            str(report),
        ]
        for vulnerability in IGNORED:
            command += ["--ignore-vuln", vulnerability]
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)  # noqa: S603
        if not report.exists() or not report.read_text():
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            print(f"audit: {service}: could not ask it ({last[:200]})")
            return None
        return json.loads(report.read_text())


def main(argv: list[str]) -> int:
    requirements = Path(argv[0])
    for service in SERVICES:
        report = audit(requirements, service)
        if report is None:
            continue
        dependencies = report["dependencies"]
        skipped = [d for d in dependencies if "skip_reason" in d]
        audited = len(dependencies) - len(skipped)
        if not audited:
            print(f"audit: {service}: knows none of the {len(dependencies)} packages")
            continue
        vulnerable = [d for d in dependencies if d.get("vulns")]
        for dependency in vulnerable:
            for vulnerability in dependency["vulns"]:
                fixed = ", ".join(vulnerability.get("fix_versions", [])) or "no fix yet"
                print(
                    f"audit: {dependency['name']} {dependency['version']}: "
                    f"{vulnerability['id']} (fixed in {fixed})"
                )
        for dependency in skipped:
            print(f"audit: not audited: {dependency['skip_reason']}")
        print(
            f"audit: {service}: {audited} packages audited, {len(skipped)} not, "
            f"{len(vulnerable)} vulnerable"
        )
        return 1 if vulnerable else 0
    print(
        "audit: WARNING: no vulnerability service could audit the dependencies; "
        "nothing was audited."
    )
    return 1 if os.environ.get("AUDIT_REQUIRED", "").lower() == "true" else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
