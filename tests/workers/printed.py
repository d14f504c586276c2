"""Looking at a printed document as a reader would: its pages as images, its layout boxes.

Used by the visual tests of the documents Bangfu prints (the term report first).
WeasyPrint lays the document out; these helpers read that layout back:

- `overflows`: every text box that sticks out of its table cell or off its page;
- `tofu`: every character the fonts had no glyph for (Pango's "unknown glyph",
  printed as an empty box), with the text it stood in;
- `page_images` and `differences`: the PDF rendered by poppler's `pdftoppm` to
  greyscale images, compared with committed reference renders within a
  tolerance, so that a layout that moves (a column squeezed, a row split, a
  table run onto another page) fails while a changed digit does not.

`BANGFU_UPDATE_RENDERS=1` writes the references instead of comparing (look at
them before committing them).
"""

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import IN_CI

# Pango marks a glyph the fonts lack with this bit (PANGO_GLYPH_UNKNOWN_FLAG).
UNKNOWN_GLYPH = 0x10000000
# A box may reach this far (CSS px) past its cell before it counts as overflowing:
# rounding, and the cell's own border.
SLACK = 1.0
# Reference renders: resolution, and how much of a page may differ.
DPI = 30
PIXEL_THRESHOLD = 64  # greyscale steps a pixel must change by to count
UPDATE = os.environ.get("BANGFU_UPDATE_RENDERS") == "1"
# The committed references; a page that differs from one is written to FAILED, to be looked at.
RENDERS = Path(__file__).resolve().parent / "renders"
FAILED = Path(__file__).resolve().parents[2] / "var" / "renders-failed"


def need_poppler(name: str) -> str:
    """The path of one of poppler's programs (pdftoppm, pdftotext); skips, or in CI fails,
    without it."""
    program = shutil.which(name)
    if program is None:
        reason = f"{name} (Debian package poppler-utils) is needed to read or render a PDF"
        if IN_CI:
            pytest.fail(f"CI=true and {reason}", pytrace=False)
        pytest.skip(reason)
    return program


def need_pdftoppm() -> str:
    return need_poppler("pdftoppm")


def _text_boxes(page_box):
    """Each text box with the table cell it is in (or None), walking the layout tree."""

    def walk(box, cell):
        if type(box).__name__ == "TableCellBox":
            cell = box
        if hasattr(box, "text") and hasattr(box, "pango_layout"):
            yield box, cell
        for child in getattr(box, "children", ()):
            yield from walk(child, cell)

    yield from walk(page_box, None)


def overflows(document) -> list[str]:
    """Every text box outside its cell's border box or its page's content area."""
    found = []
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        left = page_box.content_box_x()
        right = left + page_box.width
        for box, cell in _text_boxes(page_box):
            end = box.position_x + box.width
            if box.position_x < left - SLACK or end > right + SLACK:
                found.append(f"page {number}: {box.text!r} runs off the page")
            if cell is None:
                continue
            cell_right = cell.position_x + cell.margin_width()
            if box.position_x < cell.position_x - SLACK or end > cell_right + SLACK:
                found.append(
                    f"page {number}: {box.text!r} is {end - cell_right:.1f}px wider than its cell"
                )
    return found


def tofu(document) -> list[str]:
    """Every text box with a character no font could draw, with those characters."""
    from weasyprint.text.ffi import ffi

    found = []
    for number, page in enumerate(document.pages, start=1):
        for box, _cell in _text_boxes(page._page_box):
            layout = box.pango_layout
            # After drawing, WeasyPrint frees the Pango layout; lay the text out again.
            if not hasattr(layout, "layout"):
                layout.reactivate(box.style)
            line, _ = layout.get_first_line()
            run = line.runs
            missing = []
            while run != ffi.NULL:
                glyphs = run.data.glyphs
                for i in range(glyphs.num_glyphs):
                    glyph = glyphs.glyphs[i].glyph
                    if glyph & UNKNOWN_GLYPH:
                        missing.append(chr(glyph & ~UNKNOWN_GLYPH))
                run = run.next
            if missing:
                found.append(f"page {number}: no glyph for {''.join(missing)!r} in {box.text!r}")
    return found


def page_images(pdf: bytes) -> list:
    """Each page of the PDF as a greyscale image (PIL), rendered by pdftoppm at `DPI`."""
    from PIL import Image

    program = need_pdftoppm()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        subprocess.run(  # noqa: S603 (a fixed program on a file of our own)
            [program, "-r", str(DPI), "-gray", "-png", str(source), str(Path(folder) / "page")],
            check=True,
            timeout=120,
        )
        files = sorted(Path(folder).glob("page-*.png"), key=lambda p: int(p.stem.split("-")[1]))
        return [Image.open(path).copy() for path in files]


@dataclass
class Difference:
    page: int
    share: float  # changed pixels (by more than PIXEL_THRESHOLD) per pixel of ink
    reason: str = ""


def differences(
    images: list, folder: Path, *, tolerance: float, update: bool = UPDATE
) -> list[Difference]:
    """The pages that differ from the committed references in `folder` by more than `tolerance`.

    A page count that changed, or a page whose size changed (portrait to
    landscape), is a difference in itself.
    """
    from PIL import Image, ImageChops

    if update:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("page-*.png"):
            old.unlink()
        for number, image in enumerate(images, start=1):
            image.save(folder / f"page-{number}.png", optimize=True)
        return []
    references = sorted(folder.glob("page-*.png"), key=lambda p: int(p.stem.split("-")[1]))
    found = []
    if len(references) != len(images):
        found.append(
            Difference(0, 1.0, f"{len(images)} pages, the reference has {len(references)}")
        )
    for number, (image, path) in enumerate(zip(images, references, strict=False), start=1):
        reference = Image.open(path).convert("L")
        if reference.size != image.size:
            found.append(Difference(number, 1.0, f"size {image.size} != {reference.size}"))
            continue
        changed = ImageChops.difference(image.convert("L"), reference).point(
            lambda value: 255 if value > PIXEL_THRESHOLD else 0
        )
        # Measured against the ink on the page, not its paper: a heading that moved on an
        # otherwise empty page counts as much as a table that moved on a full one.
        ink = ImageChops.darker(image.convert("L"), reference).point(
            lambda value: 255 if value < 255 - PIXEL_THRESHOLD else 0
        )
        share = changed.histogram()[255] / max(ink.histogram()[255], 1)
        if share > tolerance:
            found.append(Difference(number, share, f"{share:.1%} of the ink moved or changed"))
            if folder.resolve().is_relative_to(RENDERS):
                # Kept where a reader (and CI's artifacts) can look at it beside the reference.
                FAILED.mkdir(parents=True, exist_ok=True)
                image.save(FAILED / f"{folder.name}-page-{number}.png")
    return found


def split_rows(document, table_class: str) -> list[str]:
    """Every row of a table of `table_class` whose boxes lie on more than one page."""
    pages_of = {}
    texts = {}

    def walk(box, number, table):
        name = type(box).__name__
        if name == "TableBox" and table_class in (box.element.get("class") or "").split():
            table = box
        if table is not None and name == "TableRowBox":
            pages_of.setdefault(box.element, set()).add(number)
            texts.setdefault(box.element, " ".join(box.element.itertext()).split())
        for child in getattr(box, "children", ()):
            walk(child, number, table)

    for number, page in enumerate(document.pages, start=1):
        walk(page._page_box, number, None)
    return [
        f"a row split over pages {sorted(numbers)}: {' '.join(texts[row])[:60]}"
        for row, numbers in pages_of.items()
        if len(numbers) > 1
    ]


def pdf_page_texts(pdf: bytes) -> list[str]:
    """Each page's text as poppler reads it from the PDF itself (what a reader can copy)."""
    program = need_poppler("pdftotext")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(pdf)
        result = subprocess.run(  # noqa: S603 (a fixed program on a file of our own)
            [program, "-layout", str(source), "-"],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return result.stdout.decode().split("\f")[:-1]
