"""Reading an exported list back as its reader would: the XLSX with openpyxl, the PDF with
poppler's pdftotext, and the PDF's layout checked for text off its cell and missing glyphs."""

import subprocess
import tempfile
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from core.documents import list_html
from tests.conftest import client_for
from tests.list_scene import table_of
from tests.workers.printed import need_poppler, overflows, tofu

API = "/api/v1/"


def get(user, path: str, **query):
    """GET an export as `user` (None: signed out)."""
    client = client_for(user) if user is not None else APIClient()
    return client.get(API + path, query)


def xlsx_table(response) -> tuple[list, list[list]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return table_of(response.content, "No.")


def pdf_text(response) -> str:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    program = need_poppler("pdftotext")
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "list.pdf"
        source.write_bytes(response.content)
        return subprocess.run(  # noqa: S603 (a fixed program on a file of our own)
            [program, "-layout", str(source), "-"],
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout


def column(header: list, rows: list[list], title: str) -> list:
    index = header.index(title)
    return [row[index] for row in rows]


def queries_for(user, path: str, **query) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = get(user, path, **query)
    assert response.status_code == 200, response.content[:300]
    return len(captured.captured_queries)


def printed_problems(document, *, language: str = "zh-hans") -> list[str]:
    """Text outside its cell or page, and characters no font could draw, in the printed list."""
    import weasyprint

    with translation.override(language):
        laid_out = weasyprint.HTML(string=list_html(document, language=language)).render()
    return overflows(laid_out) + tofu(laid_out)
