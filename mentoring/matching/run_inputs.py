"""A match run's stored inputs, packed: column by column, as compressed JSON.

A county's inputs are 100,000 students and 20,000 mentors, each a small
dict with the same keys. Stored as they are, as JSON, the keys are repeated
for every row and the database parses some 15 MB; column by column and
compressed they are about a tenth of that and written in a fraction of the
time. `unpack(pack(inputs)) == inputs` for every inputs `load_inputs` gives,
so a stored run reproduces exactly (tests/mentoring/test_match_run_inputs.py).
"""

import json
import zlib

FORMAT = 1
TABLES = ("mentors",)  # lists of dicts at the top level; "students" holds one per kind


def _columns(rows: list[dict]) -> dict:
    names = list(rows[0]) if rows else []
    keys = rows[0].keys() if rows else None
    # The keys compared as sets, in C: a county's 120,000 rows checked name by name
    # in Python took a third of the packing.
    if any(row.keys() != keys for row in rows):
        raise ValueError("every row of a table must have the same keys")
    return {"names": names, "columns": [[row[name] for row in rows] for name in names]}


def _rows(table: dict) -> list[dict]:
    names = table["names"]
    return [dict(zip(names, values, strict=True)) for values in zip(*table["columns"], strict=True)]


def pack(inputs: dict) -> bytes:
    """Inputs (plain JSON data, as `mentoring.matching.problem.load_inputs` gives them) as bytes."""
    packed = dict(inputs)
    packed["students"] = {kind: _columns(rows) for kind, rows in inputs["students"].items()}
    for name in TABLES:
        packed[name] = _columns(inputs[name])
    packed["format"] = FORMAT
    text = json.dumps(packed, ensure_ascii=False, separators=(",", ":"))
    return zlib.compress(text.encode(), 6)


def unpack(data: bytes) -> dict:
    """The inputs `pack` was given."""
    packed = json.loads(zlib.decompress(data))
    if packed.pop("format", None) != FORMAT:
        raise ValueError("unknown format of stored inputs")
    packed["students"] = {kind: _rows(table) for kind, table in packed["students"].items()}
    for name in TABLES:
        packed[name] = _rows(packed[name])
    return packed
