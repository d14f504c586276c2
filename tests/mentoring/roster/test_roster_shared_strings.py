"""The shared strings' lengths read without a parser equal the parser's, for any plain table.

`_shared_string_lengths` bounds what calamine may copy into the cells. It reads
a table of plain strings (as Excel and WPS write it) with two regular
expressions; every other table goes through the XML parser. Both must give
the same lengths, or a guard could pass a file it should refuse.
"""

import tracemalloc
from xml.sax.saxutils import escape

from hypothesis import given, settings
from hypothesis import strategies as st

from mentoring.services import roster_files
from mentoring.services.roster_files import (
    _PLAIN_SHARED_STRINGS,
    _parsed_shared_string_lengths,
    _shared_string_lengths,
)

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
# Text as a spreadsheet holds it: XML's characters, with the ones escaped in XML.
TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cs", "Cc"), include_characters="\t\n\r&<>\"'"
    ),
    max_size=30,
)


def table(strings: list[str], *, preserve: list[bool], references: bool) -> bytes:
    """A shared-strings part as Excel writes it; with `references`, characters also as
    numeric references (&#20013;), as some writers put them."""
    items = []
    for text, keep_space in zip(strings, preserve, strict=True):
        written = escape(text, {'"': "&quot;"})
        if references:
            written = "".join(f"&#{ord(c)};" if ord(c) > 127 else c for c in written)
        space = ' xml:space="preserve"' if keep_space else ""
        items.append(f"<si><t{space}>{written}</t></si>")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst xmlns="{MAIN_NS}" count="{len(strings)}" uniqueCount="{len(strings)}">'
        f"{''.join(items)}</sst>"
    ).encode()


@settings(max_examples=200, deadline=None)
@given(data=st.data(), strings=st.lists(TEXT, max_size=20), references=st.booleans())
def test_plain_tables_read_without_a_parser_give_the_parsers_lengths(data, strings, references):
    preserve = data.draw(st.lists(st.booleans(), min_size=len(strings), max_size=len(strings)))
    content = table(strings, preserve=preserve, references=references)
    assert _PLAIN_SHARED_STRINGS.fullmatch(content) is not None
    lengths = _shared_string_lengths(content, "unreadable")
    assert lengths == _parsed_shared_string_lengths(content, "unreadable")
    # Line ends inside a text are read as the parser reads them (\r\n as \n).
    assert lengths == [len(text.replace("\r\n", "\n").replace("\r", "\n")) for text in strings]


def test_rich_text_and_phonetic_guides_go_through_the_parser(monkeypatch):
    rich = (
        f'<sst xmlns="{MAIN_NS}"><si><r><t>张</t></r><r><t>三</t></r></si>'
        "<si><t>李四</t><rPh sb='0' eb='1'><t>lǐ</t></rPh></si><si><t>王五</t></si></sst>"
    ).encode()
    assert _PLAIN_SHARED_STRINGS.fullmatch(rich) is None
    parsed = []
    original = roster_files._parsed_shared_string_lengths

    def spy(content, unreadable):
        parsed.append(content)
        return original(content, unreadable)

    monkeypatch.setattr(roster_files, "_parsed_shared_string_lengths", spy)
    # A phonetic guide counts towards its string's length: the bound errs on the safe side.
    assert _shared_string_lengths(rich, "unreadable") == [2, 4, 2]
    assert parsed == [rich]


def test_a_bare_ampersand_or_an_unknown_entity_is_not_plain():
    for text in (b"AT&T", b"&nbsp;", b"&#;"):
        content = b'<sst xmlns="x"><si><t>' + text + b"</t></si></sst>"
        assert _PLAIN_SHARED_STRINGS.fullmatch(content) is None


@settings(max_examples=200, deadline=None)
@given(strings=st.lists(st.text(alphabet=st.characters(exclude_categories=("Cs",))), max_size=10))
def test_every_reference_counts_as_one_character_whatever_it_names(strings):
    # calamine reads any numeric reference as one character, even one XML or HTML
    # would refuse (&#1;, &#x7f;, &#xFFFE;): the bound counts it so.
    items = "".join("<si><t>" + "".join(f"&#{ord(c)};" for c in s) + "</t></si>" for s in strings)
    content = f'<sst xmlns="{MAIN_NS}">{items}</sst>'.encode()
    assert _shared_string_lengths(content, "unreadable") == [len(s) for s in strings]


def test_a_long_run_of_references_is_measured_in_little_memory():
    # Possessive quantifiers: the regular expression keeps no state per reference
    # (without them, 400,000 references took 95 MB, and a 200 MB part gigabytes).
    content = f'<sst xmlns="{MAIN_NS}"><si><t>{"&amp;" * 400_000}</t></si></sst>'.encode()
    tracemalloc.start()
    try:
        assert _shared_string_lengths(content, "unreadable") == [400_000]
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000


def test_a_text_longer_than_a_piece_is_measured_as_the_parser_measures_it():
    # Read in pieces of 64 KB that each start at a reference: Chinese text (three
    # bytes a character) and references across many pieces.
    text = "张三&amp;李四&#x7f;&#20013;" * 20_000
    content = f'<sst xmlns="{MAIN_NS}"><si><t>{text}</t></si><si><t>王五</t></si></sst>'.encode()
    assert len(content) > 9 * roster_files._PIECE
    lengths = _shared_string_lengths(content, "unreadable")
    assert lengths == _parsed_shared_string_lengths(content, "unreadable") == [7 * 20_000, 2]


def test_line_ends_are_counted_as_the_parser_reads_them():
    # XML reads \r\n and a lone \r as one \n; a reference to \r stays a character.
    texts = ["a\r\nb", "\r\r\n", "\r", "x&#13;&#10;y"]
    content = table(texts, preserve=[True] * 4, references=False).replace(b"&amp;#", b"&#")
    lengths = _shared_string_lengths(content, "unreadable")
    assert lengths == _parsed_shared_string_lengths(content, "unreadable") == [3, 2, 1, 4]
