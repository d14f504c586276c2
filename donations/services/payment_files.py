"""The bank's files of a payment batch: the payment list out (XLSX or CSV, columns mapped by
the administrator), and the bank's result in (paid / failed per row).

Plain data in, plain data out: the rows are dicts of the fields below, already
opened (the whole account number only in the list for the bank). Reading the
result checks every row and column and answers all that is wrong at once.
"""

import csv
import datetime
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import openpyxl
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import ValidationErrors
from core.money import fen, yuan
from core.spreadsheets import cell_text

# What a column of the bank file may hold, and its default header.
FIELDS = {
    "row": gettext_lazy("Row number"),
    "holder": gettext_lazy("Account holder"),
    "account": gettext_lazy("Account number"),
    "bank": gettext_lazy("Bank"),
    "amount": gettext_lazy("Amount (yuan)"),
    "note": gettext_lazy("Note"),
    "student": gettext_lazy("Student's name"),
    "student_number": gettext_lazy("Student number"),
    "school": gettext_lazy("School"),
    "project": gettext_lazy("Project"),
}
# The banks' usual layout (序号/姓名/账号/开户行/金额/备注).
DEFAULT_COLUMNS = [
    ["row", "序号"],
    ["holder", "姓名"],
    ["account", "账号"],
    ["bank", "开户行"],
    ["amount", "金额"],
    ["note", "备注"],
]
MAX_HEADER = 30
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def columns_problems(errors: ValidationErrors, columns, *, field: str = "columns") -> None:
    """Add what is wrong with a column mapping: a list of `[field, header]`, each field and
    header once, the row number and the account among them."""
    if not isinstance(columns, list) or not columns:
        errors.add(field, _("Give the columns as a list of [field, header] pairs."))
        return
    seen_fields, seen_headers = set(), set()
    for index, item in enumerate(columns):
        where = f"{field}[{index}]"
        if not (isinstance(item, list | tuple) and len(item) == 2):
            errors.add(where, _("Give a column as a pair [field, header]."))
            continue
        name, header = item
        if name not in FIELDS:
            errors.add(
                where,
                _("Unknown field %(field)s; the fields are %(fields)s.")
                % {"field": name, "fields": ", ".join(FIELDS)},
            )
        elif name in seen_fields:
            errors.add(where, _("The field %(field)s is mapped twice.") % {"field": name})
        if not isinstance(header, str) or not header.strip() or len(header) > MAX_HEADER:
            errors.add(
                where, _("A header is text of 1 to %(max)s characters.") % {"max": MAX_HEADER}
            )
        elif header.strip() in seen_headers:
            errors.add(where, _("The header %(header)s is used twice.") % {"header": header})
        seen_fields.add(name)
        if isinstance(header, str):
            seen_headers.add(header.strip())
    for needed in ("row", "account", "amount"):
        if needed not in seen_fields:
            errors.add(field, _("The columns must include %(field)s.") % {"field": needed})


def _table(rows: list[dict], columns: list) -> list[list]:
    table = [[header for _name, header in columns]]
    for row in rows:
        table.append(
            [
                yuan_amount_cell(row[name]) if name == "amount" else row.get(name, "")
                for name, _header in columns
            ]
        )
    return table


def yuan_amount_cell(value: int) -> Decimal:
    return Decimal(yuan(value))


def bank_list_xlsx(rows: list[dict], columns: list, *, title: str) -> bytes:
    """The payment list as the bank takes it: one sheet, the mapped headers, then a row each.

    The account number is written as text so that a spreadsheet neither
    rounds it (beyond 15 digits) nor shows it in scientific notation.
    """
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title[:31] or "Sheet1"
    for line in _table(rows, columns):
        sheet.append([cell_text(v) if isinstance(v, str) else v for v in line])
    for row_cells in sheet.iter_rows(min_row=2):
        for cell in row_cells:
            if isinstance(cell.value, str):
                cell.number_format = "@"
            elif isinstance(cell.value, Decimal):
                cell.number_format = "0.00"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def bank_list_csv(rows: list[dict], columns: list) -> bytes:
    """The payment list as CSV, UTF-8 with a byte-order mark so that Excel reads the Chinese."""
    out = io.StringIO()
    writer = csv.writer(out)
    for line in _table(rows, columns):
        writer.writerow([cell_text(v) if isinstance(v, str) else str(v) for v in line])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# The bank's result -----------------------------------------------------------------------

# Headers the result file may use for each of its columns (the bank's words, ours, English).
RESULT_HEADERS = {
    "row": ("序号", "行号", "row"),
    "result": ("结果", "处理结果", "状态", "result", "status"),
    "reason": ("原因", "失败原因", "备注", "reason"),
    "reference": ("流水号", "银行流水号", "交易流水号", "reference"),
    "amount": ("金额", "amount"),
    "date": ("日期", "交易日期", "date"),
}
PAID_WORDS = {"成功", "已支付", "已付", "paid", "success", "ok"}
FAILED_WORDS = {"失败", "未支付", "退回", "failed", "fail", "returned"}


@dataclass(frozen=True)
class ResultRow:
    line: int  # the file's row, counting the header as 1
    number: int
    paid: bool
    reason: str
    reference: str
    amount_fen: int | None
    paid_on: datetime.date | None


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _header_map(header: tuple, errors: ValidationErrors) -> dict[str, int]:
    names = {h.lower(): key for key, heads in RESULT_HEADERS.items() for h in heads}
    found: dict[str, int] = {}
    for index, value in enumerate(header):
        key = names.get(_cell(value).lower())
        if key and key not in found:
            found[key] = index
    for needed in ("row", "result"):
        if needed not in found:
            errors.add(
                "file",
                _("The file has no column %(header)s.") % {"header": RESULT_HEADERS[needed][0]},
            )
    return found


def _day(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _cell(value).replace("/", "-").replace(".", "-")
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return datetime.date.fromisoformat(text)


def result_rows(table, errors: ValidationErrors) -> list[ResultRow]:
    """The rows of the bank's result; what is wrong goes into `errors` as `rows[<line>].<column>`.

    Blank lines are skipped; a row number given twice is an error of the
    second line.
    """
    table = iter(table)
    header = next(table, None)
    if header is None:
        errors.add("file", _("The file is empty."))
        return []
    columns = _header_map(header, errors)
    if errors.has("file"):
        return []
    rows, seen = [], {}
    for line, values in enumerate(table, start=2):
        cells = {key: (values[i] if i < len(values) else None) for key, i in columns.items()}
        if not any(_cell(v) for v in values):
            continue
        where = f"rows[{line}]"
        bad = False
        number = None
        try:
            number = int(_cell(cells["row"]))
            if number < 1:
                raise ValueError
        except ValueError:
            errors.add(f"{where}.row", _("Give the row number of the payment list."))
            bad = True
        else:
            if number in seen:
                errors.add(
                    f"{where}.row",
                    _("Row %(number)s is also on line %(line)s.")
                    % {"number": number, "line": seen[number]},
                )
                bad = True
            seen.setdefault(number, line)
        word = _cell(cells["result"]).lower()
        if word not in PAID_WORDS | FAILED_WORDS:
            errors.add(
                f"{where}.result",
                _("Say 成功 (paid) or 失败 (failed), not %(value)s.") % {"value": word or '""'},
            )
            bad = True
        reason = _cell(cells.get("reason"))[:200]
        if word in FAILED_WORDS and not reason:
            errors.add(f"{where}.reason", _("Give the bank's reason for a failed payment."))
            bad = True
        amount = None
        if _cell(cells.get("amount")):
            try:
                amount = fen(Decimal(_cell(cells["amount"]).replace(",", "")))
            except (InvalidOperation, ValueError):
                errors.add(f"{where}.amount", _("Give the amount in yuan, e.g. 312.50."))
                bad = True
        paid_on = None
        if _cell(cells.get("date")):
            try:
                paid_on = _day(cells["date"])
            except ValueError:
                errors.add(f"{where}.date", _("Give the date as YYYY-MM-DD or YYYYMMDD."))
                bad = True
        if not bad:
            rows.append(
                ResultRow(
                    line=line,
                    number=number,
                    paid=word in PAID_WORDS,
                    reason=reason,
                    reference=_cell(cells.get("reference"))[:100],
                    amount_fen=amount,
                    paid_on=paid_on,
                )
            )
    if not rows and not errors:
        errors.add("file", _("The file has no result rows."))
    return rows
