"""Text bound for a spreadsheet cell (XLSX or CSV) that a spreadsheet never runs as a formula."""

# Cells starting with these run as formulas in a spreadsheet: text is prefixed with '.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value) -> str:
    """`value` as text, prefixed with ' when a spreadsheet would read it as a formula."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
