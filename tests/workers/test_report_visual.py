"""The printed term report looked at: page count, nothing overflowing, no missing glyph, and
each page against a committed reference render (issue 16, item 7).

Two documents: the seeds' kindergarten (the written report with the bureau's
landscape summary table) and a busy primary school printed with its annex of
records. Their build time and builder are fixed so that the pages are the same
from run to run; `BANGFU_UPDATE_RENDERS=1` writes the references again after a
deliberate change of layout (tests/workers/printed.py).
"""

from pathlib import Path

import pytest

from tests.report_scene import busy_school, kindergarten_scene
from tests.workers.printed import differences, need_pdftoppm, overflows, page_images, tofu
from tests.workers.test_reports import build
from workers.reporting import exports
from workers.reports import ReportReader, for_files

pytestmark = [pytest.mark.django_db, pytest.mark.pdf]

REFERENCES = Path(__file__).parent / "renders"
# How much of a page's ink may differ from its reference: a changed figure or name is a few
# percent of a page's ink at 30 dpi; a column squeezed or a table moved is most of it.
TOLERANCE = 0.05


def printed(scene, report, *, language: str, annex: bool = False):
    """The report laid out by WeasyPrint, built 'on' a fixed day by a fixed person."""
    import weasyprint

    data = for_files(report, ReportReader(scene.admin).data(report))
    data["built_at"] = "2026-12-04T06:30:00+00:00"
    data["built_by_name"] = "王丽"
    html = exports.to_html(data, language=language, annex=annex)
    return weasyprint.HTML(string=html).render()


@pytest.fixture(autouse=True)
def _same_names_every_run():
    """The factories' numbered names (user7, School 12) start from 0 and their invented ones
    (a mentor's name from Faker) come from a fixed seed, whatever ran before in this process,
    so that the printed pages are the same from run to run."""
    import factory.random
    from factory.django import DjangoModelFactory

    factory.random.reseed_random("bangfu printed report")
    from workers import factories

    for value in vars(factories).values():
        if isinstance(value, type) and issubclass(value, DjangoModelFactory):
            value.reset_sequence(0, force=True)


@pytest.fixture
def kg(django_capture_on_commit_callbacks):
    scene = kindergarten_scene()
    scene.report = build(scene, django_capture_on_commit_callbacks, school=scene.schools["kg"])
    return scene


@pytest.fixture
def busy(django_capture_on_commit_callbacks):
    scene = kindergarten_scene()
    school = busy_school(scene, "BUSY", 40)
    scene.report = build(scene, django_capture_on_commit_callbacks, school=school)
    return scene


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_kindergartens_report_as_printed(kg, language):
    need_pdftoppm()
    document = printed(kg, kg.report, language=language)
    # The written report, the bureau's table on its own landscape page, the sections: a
    # handful of pages, never the dozens of raw rows of the past.
    assert 3 <= len(document.pages) <= 12, len(document.pages)
    assert overflows(document) == []
    assert tofu(document) == []
    images = page_images(document.write_pdf())
    assert len(images) == len(document.pages)
    assert differences(images, REFERENCES / f"kindergarten-{language}", tolerance=TOLERANCE) == []


def test_the_busy_schools_report_with_its_annex_as_printed(busy):
    need_pdftoppm()
    document = printed(busy, busy.report, language="zh-hans", annex=True)
    assert 4 <= len(document.pages) <= 20, len(document.pages)
    assert overflows(document) == []
    assert tofu(document) == []
    images = page_images(document.write_pdf())
    assert differences(images, REFERENCES / "busy-annex-zh-hans", tolerance=TOLERANCE) == []


def test_the_checks_see_what_they_look_for(tmp_path):
    """Each check fails on a page made to fail it: a cell too narrow, a script no font has,
    a page that moved."""
    import weasyprint
    from PIL import Image

    need_pdftoppm()
    narrow = weasyprint.HTML(
        string="<table style='table-layout: fixed; width: 40px'><tr>"
        "<td style='width: 40px'>12345678901234567890</td></tr></table>"
    ).render()
    assert overflows(narrow) and "wider than its cell" in overflows(narrow)[0]
    # Egyptian hieroglyphs: no font on the machine draws them.
    missing = weasyprint.HTML(string="<p>学生 \U00013000</p>").render()
    assert tofu(missing) == [f"page 1: no glyph for {chr(0x13000)!r} in '学生 \U00013000'"]
    assert tofu(weasyprint.HTML(string="<p>学生资助 8.54%</p>").render()) == []
    table = (
        "<table style='border-collapse: collapse'>{rows}</table>"
        "<style>td {{ border: 1px solid black; padding: 2px; width: {width}px }}</style>"
    )
    rows = "".join(f"<tr><td>学生{n}</td><td>{n * 1000:,}.00</td></tr>" for n in range(30))
    [page] = page_images(weasyprint.HTML(string=table.format(rows=rows, width=120)).write_pdf())
    folder = tmp_path / "reference"
    differences([page], folder, tolerance=TOLERANCE, update=True)
    assert differences([page], folder, tolerance=TOLERANCE, update=False) == []
    # One figure changed: the same layout.
    figure = rows.replace("7,000.00", "7,500.00")
    [same] = page_images(weasyprint.HTML(string=table.format(rows=figure, width=120)).write_pdf())
    assert differences([same], folder, tolerance=TOLERANCE, update=False) == []
    # The columns squeezed, or the page shifted down: another layout.
    [squeezed] = page_images(weasyprint.HTML(string=table.format(rows=rows, width=80)).write_pdf())
    assert differences([squeezed], folder, tolerance=TOLERANCE, update=False)
    moved = Image.new("L", page.size, 255)
    moved.paste(page.crop((0, 0, page.size[0], page.size[1] - 20)), (0, 20))
    assert differences([moved], folder, tolerance=TOLERANCE, update=False)
    [extra] = differences([page, page], folder, tolerance=TOLERANCE, update=False)
    assert extra.reason == "2 pages, the reference has 1"
