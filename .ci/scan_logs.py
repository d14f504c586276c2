"""Scan a log for personal data: ID numbers, mainland mobile numbers, the names the factories make.

    .venv/bin/python .ci/scan_logs.py var/test-run.log [more.log ...]

Exits 1 and lists each finding (line number, kind, the line with the
finding masked) when there is any, 0 when the log is clean. CI runs it on
the log of the whole test run (.ci/run); tests/project/test_log_privacy.py runs it
on a sample.

- ID numbers: 18 characters (17 digits and a digit or X) whose birth date
  is a real date and whose GB 11643 check digit is right; the masked form
  (`**************1234`) is not one.
- Mobile numbers: 11 digits starting 13 to 19, also written `138 0013 8000`
  or `138-0013-8000`, with or without +86.
- Names: a family name followed by a given name from the lists Faker's
  zh_CN provider draws them from (workers/factories.py makes every student's
  and guardian's name with it), standing apart from other Chinese text. A
  name inside a Chinese sentence is not found: log messages are written in
  English, so a name in one stands between spaces or punctuation.
"""

import datetime
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from faker.providers.person.zh_CN import Provider as ChineseNames

CHECK_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK_DIGITS = "10X98765432"
NOT_ALNUM_BEFORE, NOT_ALNUM_AFTER = r"(?<![0-9A-Za-z])", r"(?![0-9A-Za-z])"
ID_NUMBER = re.compile(NOT_ALNUM_BEFORE + r"(\d{17}[\dXx])" + NOT_ALNUM_AFTER)
MOBILE = re.compile(
    NOT_ALNUM_BEFORE + r"((?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2})" + NOT_ALNUM_AFTER
)
CJK = r"\u3400-\u9fff\uf900-\ufaff"


def _alternatives(words) -> str:
    # Longest first, so that a two-character name is not cut at its first character.
    return "|".join(sorted(set(words), key=lambda w: (-len(w), w)))


NAME = re.compile(
    f"(?<![{CJK}])((?:{_alternatives(ChineseNames.last_names)})"
    f"(?:{_alternatives(ChineseNames.first_names)}))(?![{CJK}])"
)


@dataclass(frozen=True)
class Finding:
    line: int
    kind: str
    excerpt: str


def valid_id_number(text: str) -> bool:
    """GB 11643: a real birth date at positions 7-14 and the right check digit."""
    try:
        born = datetime.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    if not datetime.date(1900, 1, 1) <= born <= datetime.date.today():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(text[:17], CHECK_WEIGHTS, strict=True))
    return CHECK_DIGITS[total % 11] == text[17].upper()


def _mask(line: str, start: int, end: int) -> str:
    return (line[:start] + "*" * (end - start) + line[end:]).strip()[:200]


def scan_line(number: int, line: str) -> list[Finding]:
    findings = []
    for kind, pattern, valid in [
        ("ID number", ID_NUMBER, valid_id_number),
        ("mobile number", MOBILE, None),
        ("name", NAME, None),
    ]:
        for match in pattern.finditer(line):
            if valid is None or valid(match.group(1)):
                findings.append(Finding(number, kind, _mask(line, *match.span(1))))
    return findings


def scan(path: Path) -> list[Finding]:
    findings = []
    with Path(path).open(encoding="utf-8", errors="replace") as log:
        for number, line in enumerate(log, start=1):
            findings.extend(scan_line(number, line))
    return findings


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    found = 0
    for name in argv:
        findings = scan(Path(name))
        for finding in findings:
            print(f"{name}:{finding.line}: {finding.kind}: {finding.excerpt}")
        found += len(findings)
        print(f"scan_logs: {name}: {len(findings)} finding(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
