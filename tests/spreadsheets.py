"""Real files, written the way Excel, LibreOffice, openpyxl and odfpy write them."""

import csv
import io

import openpyxl
import xlsxwriter
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P


def excel_csv(rows, *, delimiter=";", encoding="utf-8-sig", line_end="\r\n") -> bytes:
    """A CSV as Excel writes it: every cell with a quote, delimiter or line break is quoted,
    quotes inside are doubled; French Excel uses `;`, "CSV UTF-8" adds a BOM, plain "CSV" is
    Windows-1252."""
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator=line_end).writerows(rows)
    return out.getvalue().encode(encoding)


def libreoffice_csv(rows, *, delimiter=",") -> bytes:
    """A CSV as LibreOffice Calc writes it by default: UTF-8 without BOM, LF line ends, text
    cells quoted only when needed."""
    return excel_csv(rows, delimiter=delimiter, encoding="utf-8", line_end="\n")


def xlsx(rows, *, formulas=None) -> bytes:
    """An XLSX made by openpyxl; numbers stay numbers. `formulas` puts {cell: formula} in too
    (openpyxl does not compute them, so the file holds no value for them)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    for cell, formula in (formulas or {}).items():
        sheet[cell] = formula
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_computed(rows, formulas) -> bytes:
    """An XLSX whose formulas carry the value the spreadsheet computed, as Excel saves them
    (written by XlsxWriter): `formulas` maps (row, column) to (formula, value)."""
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = workbook.add_worksheet("Personnes")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if (r, c) in formulas:
                formula, result = formulas[(r, c)]
                sheet.write_formula(r, c, formula, None, result)
            elif value is not None:
                sheet.write(r, c, value)
    workbook.close()
    return out.getvalue()


def ods(rows, *, hidden_first=False) -> bytes:
    """An ODS made by odfpy: text cells, numbers as floats (formulas with their value: a tuple
    (formula, value))."""
    document = OpenDocumentSpreadsheet()
    if hidden_first:
        document.spreadsheet.addElement(_ods_table("Listes", [["ignorée"]]))
    document.spreadsheet.addElement(_ods_table("Feuille1", rows))
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def _ods_table(name, rows):
    """One sheet of an ODS document."""
    table = Table(name=name)
    for row in rows:
        table_row = TableRow()
        for value in row:
            if isinstance(value, tuple):
                formula, result = value
                cell = TableCell(valuetype="float", value=str(result), formula=formula)
                cell.addElement(P(text=str(result)))
            elif isinstance(value, int | float):
                cell = TableCell(valuetype="float", value=str(value))
                cell.addElement(P(text=str(value)))
            else:
                cell = TableCell(valuetype="string")
                for paragraph in str(value).split("\n"):
                    cell.addElement(P(text=paragraph))
            table_row.addElement(cell)
        table.addElement(table_row)
    return table


def preview(actor, kind, target, raw, *, now, options=None, mapping=None, filename="file.csv"):
    """Upload a file and choose its columns (the proposed ones unless given): the batch with its
    preview, nothing imported yet (services only, no HTTP)."""
    from consult.core.imports import services
    from consult.extensions import db

    batch = services.upload(
        actor, kind, target, raw, filename=filename, options=options or {}, now=now
    )
    services.choose_mapping(actor, batch, mapping or batch.mapping, now=now)
    db.session.commit()
    return batch


def import_file(actor, kind, target, raw, *, now, options=None, mapping=None):
    """Preview, then confirm: the finished batch."""
    from consult.core.imports import services
    from consult.extensions import db

    batch = preview(actor, kind, target, raw, now=now, options=options, mapping=mapping)
    services.confirm(actor, batch, now=now)
    db.session.commit()
    return batch
