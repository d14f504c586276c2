"""The roster's formula check runs on the stripped value: no invisible prefix carries a formula.

Before, the check stripped ASCII spaces only and ran before `strip()`, so
`"\\u3000=HYPERLINK(…)"` (an ideographic space first) was stored as a formula;
a zero-width space (U+200B) or a byte order mark (U+FEFF), which `strip()`
keeps, carried one even past the strip. Here any prefix of spaces, control
and format characters (Unicode categories Zs, Cc and Cf) before a formula is
refused, in the cell check and through the import of CSV and XLSX files.
"""

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from mentoring.services import roster_cells
from tests.conftest import client_for
from tests.mentoring.roster.roster_scene import (
    csv_file,
    errors_of,
    roster_row,
    row_counts,
    send,
    xlsx_file,
)
from workers.factories import TermFactory

INVISIBLE = st.characters(categories=["Zs", "Cc", "Cf"])
PREFIXES = st.text(INVISIBLE, min_size=1, max_size=6)
# A NUL byte makes a CSV upload binary: the whole file is refused (see the
# test below), so the row check is reached only without one.
CSV_PREFIXES = PREFIXES.filter(lambda text: "\x00" not in text)
# XML (so XLSX) cannot hold most C0 control characters; openpyxl refuses to write them.
XLSX_PREFIXES = st.text(INVISIBLE, min_size=1, max_size=6).filter(
    lambda text: not ILLEGAL_CHARACTERS_RE.search(text)
)
FORMULAS = st.sampled_from(
    ['=HYPERLINK("http://x","点我")', "=1+1", "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0"]
)
AS_IN_THE_FINDING = '\u3000=HYPERLINK("http://x","点我")'
MANY_EXAMPLES = settings(max_examples=200, deadline=None)
# Each example imports a file through the API; the database is left as it was.
API_EXAMPLES = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.mark.parametrize(
    "prefix", ["\u3000", "\u00a0", "\u2000", "\u2007", "\u200a", "\u200b", "\ufeff", "\u2060", " "]
)
def test_a_formula_after_any_kind_of_space_is_refused(prefix):
    with pytest.raises(roster_cells.CellError):
        roster_cells.free_text(prefix + "=1+1", "name")


@MANY_EXAMPLES
@given(prefix=PREFIXES, formula=FORMULAS)
def test_a_formula_after_invisible_characters_is_refused(prefix, formula):
    with translation.override("en"), pytest.raises(roster_cells.CellError, match="formula"):
        roster_cells.free_text(prefix + formula, "village")


@MANY_EXAMPLES
@given(prefix=PREFIXES, suffix=PREFIXES)
def test_plain_text_is_stored_without_the_invisible_characters_around_it(prefix, suffix):
    assert roster_cells.free_text(prefix + "红星村3组" + suffix, "village") == "红星村3组"


@pytest.fixture
def term(district):
    return TermFactory(district=district)


@pytest.fixture
def admin(admin_a):
    return client_for(admin_a)


def assert_refused_in_the_name_column(response):
    assert response.status_code == 400, response.content
    assert errors_of(response) == [(2, "姓名")]
    assert "formula" in response.json()["errors"][0]["message"]
    assert row_counts() == (0, 0, 0)


@pytest.mark.parametrize("upload", [csv_file, xlsx_file])
def test_the_finding_itself_is_refused_in_csv_and_xlsx(admin, school_a, term, upload):
    response = send(admin, upload([roster_row(1, school_a, 姓名=AS_IN_THE_FINDING)]), term)

    assert_refused_in_the_name_column(response)


@API_EXAMPLES
@given(prefix=CSV_PREFIXES, formula=FORMULAS)
def test_csv_rosters_refuse_formulas_behind_invisible_characters(
    admin, school_a, term, prefix, formula
):
    rows = [roster_row(1, school_a, 姓名=prefix + formula)]

    assert_refused_in_the_name_column(send(admin, csv_file(rows), term))


@API_EXAMPLES
@given(prefix=XLSX_PREFIXES, formula=FORMULAS)
def test_xlsx_rosters_refuse_formulas_behind_invisible_characters(
    admin, school_a, term, prefix, formula
):
    rows = [roster_row(1, school_a, 姓名=prefix + formula)]

    assert_refused_in_the_name_column(send(admin, xlsx_file(rows), term))


def test_a_csv_roster_with_a_nul_byte_is_refused_whole(admin, school_a, term):
    rows = [roster_row(1, school_a, 姓名="\x00=1+1")]

    response = send(admin, csv_file(rows), term)

    assert response.status_code == 400
    assert "file" in response.json()
    assert row_counts() == (0, 0, 0)
