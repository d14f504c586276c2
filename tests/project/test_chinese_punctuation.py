"""Chinese text in the translations takes Chinese punctuation: ，：；（） not , : ; ( ).

What is not prose keeps its ASCII: placeholders (`%(name)s`), URLs, times
(12:30), code in backticks and JSON written out (`[字段, 表头]`,
`{"code": ...}`), which a user types back into the API as it is shown.
"""

import re
from pathlib import Path

import polib
import pytest

PO = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# Chinese characters, Chinese punctuation and quotation marks, full-width forms.
CJK = r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef“”‘’]"
NOT_PROSE = re.compile(
    r"%\(\w+\)[a-z]|%[a-z%]|https?://\S+|\d{1,2}:\d{2}|`[^`]*`|\[[^\[\]]*\]|\{[^{}]*\}"
)
ASCII_IN_CHINESE = re.compile(rf"{CJK}\s*[,:;()]|[,:;()]\s*{CJK}")


def ascii_punctuation(text: str) -> list[str]:
    """The ASCII , : ; ( ) next to Chinese in `text`, outside what is not prose."""
    return ASCII_IN_CHINESE.findall(NOT_PROSE.sub("X", text))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("学生,老师", ["生,"]),
        ("已分配: 3 人", ["配:"]),
        ("资助(第 2 期)", ["助(", "期)"]),
        ("%(student)s;已发放", [";已"]),
        ("学生，老师：资助（第 2 期）", []),
        ("%(name)s（全区县）", []),
        ("12:30 家访", []),
        ("请以 [字段, 表头] 对的列表给出", []),
        ('每项为 {"code": ..., "name": ...}。', []),
        ("用 `make serve` 启动：http://127.0.0.1:8000/", []),
    ],
)
def test_the_check_finds_ascii_punctuation_in_chinese_only(text, found):
    assert ascii_punctuation(text) == found


def test_no_chinese_translation_has_ascii_punctuation():
    wrong = []
    for entry in polib.pofile(str(PO)):
        texts = [entry.msgstr] if entry.msgstr else list(entry.msgstr_plural.values())
        for text in texts:
            if ascii_punctuation(text):
                wrong.append(f"line {entry.linenum}: {entry.msgid!r} → {text!r}")

    assert wrong == []
