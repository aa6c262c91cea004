"""What the bytes are, how text is decoded and split, and the lines reported for records."""
from __future__ import annotations

import datetime as dt
import io
import random
import zipfile

import pytest

from navplugin.errors import InvalidUpload, UnsupportedFile
from navplugin.ingest import ingest
from navplugin.ingest.readers import cell_text, read_tables, sniff_delimiter
from navplugin.ingest.sniff import decode_text, sniff_kind

HEADER = ("업체명", "업종", "주소", "선정연도")
ROWS = [
    HEADER,
    ("이문설농탕", "음식점업", "서울특별시 종로구 우정국로 38-13 (견지동)", "2018"),
    ("통인가게", "소매업", "서울특별시 종로구 인사동길 32, 1층", "2019"),
]


# --- refusing what is not CSV or XLSX (415) ----------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _random_bytes(size: int, *, without_nul: bool = False) -> bytes:
    generator = random.Random(20231231)
    data = bytes(generator.randrange(256) for _ in range(size))
    return data.replace(b"\x00", b"\x01") if without_nul else data


UNSUPPORTED = {
    "png": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(40), "a PNG image"),
    "jpeg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(40), "a JPEG image"),
    "pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "a PDF document"),
    "xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "legacy Excel 97-2003 workbook (.xls)"),
    "random": (_random_bytes(4096), "binary data"),
    "random-without-nul": (_random_bytes(4096, without_nul=True), "binary data"),
    "docx": (_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}),
             "a Word document (.docx)"),
    "zip": (_zip({"목록.csv": "업체명,주소\n".encode()}), "a ZIP archive without an Excel workbook"),
    "ods": (_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}),
            "an OpenDocument spreadsheet (.ods)"),
    "html-as-xls": ("<html><body><table><tr><td>업체명</td><td>주소</td></tr></table></body></html>".encode(),
                    "an HTML page"),
    "text-without-delimiter": ("백년가게 목록은 첨부 파일을 참고하세요.\n문의: 소상공인시장진흥공단\n".encode(),
                               "text without columns separated by commas, tabs or semicolons"),
}


@pytest.mark.parametrize("kind", UNSUPPORTED)
def test_files_that_are_not_csv_or_xlsx_are_415_saying_what_they_are(kind):
    data, what = UNSUPPORTED[kind]

    with pytest.raises(UnsupportedFile) as caught:
        ingest(data, f"목록.{kind}")

    assert caught.value.status == 415
    assert what in caught.value.detail
    assert f"'목록.{kind}'" in caught.value.detail
    assert "CSV" in caught.value.detail and "XLSX" in caught.value.detail


def test_legacy_xls_detail_says_how_to_convert():
    with pytest.raises(UnsupportedFile) as caught:
        ingest(UNSUPPORTED["xls"][0])
    assert "save it as 'Excel 통합 문서 (*.xlsx)'" in caught.value.detail
    assert caught.value.detail.startswith("The uploaded file is a legacy Excel")


def test_csv_named_xls_is_read_by_its_bytes(make_csv):
    assert sniff_kind(make_csv(ROWS), "목록.xls") == "text"
    assert len(ingest(make_csv(ROWS), "목록.xls").rows) == 2


def test_broken_workbook_is_422_with_a_report():
    data = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"not xml at all"})

    with pytest.raises(InvalidUpload) as caught:
        ingest(data, "목록.xlsx")

    problem = caught.value.extra["report"]["problems"][0]
    assert problem["line"] == 0
    assert problem["problem"].startswith("unreadable XLSX workbook")


# --- text encodings ---------------------------------------------------------------


@pytest.mark.parametrize("encoding, reported", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp949", "cp949"), ("euc-kr", "cp949"),
])
def test_encodings_are_detected_without_mojibake(make_csv, encoding, reported):
    decoded = decode_text(make_csv(ROWS, encoding))

    assert decoded.encoding == reported
    assert decoded.text.startswith("업체명,업종,주소,선정연도")
    assert "이문설농탕" in decoded.text
    assert decoded.problems == ()


def test_cp949_text_is_never_left_to_a_guess(make_csv):
    """Short CP949 files are where guessers pick Latin-1 or cp1252; strict CP949 comes first."""
    data = "상호,주소\n미진,서울 종로구 종로 19\n".encode("cp949")
    assert decode_text(data).encoding == "cp949"
    assert ingest(data).rows[0].name == "미진"


def test_a_damaged_cp949_file_keeps_its_other_rows(make_csv):
    data = bytearray(make_csv(ROWS, "cp949"))
    data[data.index("통인".encode("cp949"))] = 0xFF  # one broken byte in the second shop's name

    result = ingest(bytes(data))

    assert result.encoding == "cp949"
    assert [r.name for r in result.rows][0] == "이문설농탕"
    assert result.rows[1].address == "서울특별시 종로구 인사동길 32, 1층"
    assert "\ufffd" in result.rows[1].name
    [warning] = result.problems
    assert (warning.line, warning.severity) == (0, "warning")
    assert warning.problem.endswith("replaced with U+FFFD while reading as cp949")


def test_excel_unicode_text_export_is_read(make_csv):
    data = make_csv(ROWS, "utf-16", delimiter="\t")  # Python writes the BOM, as Excel does

    result = ingest(data)

    assert result.encoding == "utf-16"
    assert [r.name for r in result.rows] == ["이문설농탕", "통인가게"]


# --- delimiters and lines ---------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_delimiter_is_sniffed(make_csv, delimiter):
    data = make_csv([("2023년 백년가게 선정 현황",), *ROWS], delimiter=delimiter)

    result = ingest(data)

    assert [r.address for r in result.rows] == [ROWS[1][2], ROWS[2][2]]


def test_tab_separated_file_with_unquoted_commas_in_addresses():
    text = "업체명\t주소\t선정연도\n" + "".join(
        f"가게{i}\t서울특별시 종로구 인사동길 {i}, {i}층\t2019\n" for i in range(5)
    )
    assert sniff_delimiter(text) == "\t"
    assert ingest(text.encode()).rows[0].address == "서울특별시 종로구 인사동길 0, 0층"


def test_excel_sep_line_names_the_delimiter_and_is_not_data():
    data = "sep=;\n업체명;주소\n미진;서울 종로구 종로 19, 1층\n".encode("cp949")

    result = ingest(data)

    assert result.rows[0].address == "서울 종로구 종로 19, 1층"
    assert result.rows[0].line == 3


def test_lines_count_physical_lines_of_multi_line_cells(make_csv):
    data = make_csv([
        ("업체명", "주소", "비고"),
        ("이문설농탕", "서울특별시 종로구 우정국로 38-13", "설렁탕\n1904년 창업\n종로 최고(最古)"),
        ("", "서울특별시 중구 명동9길 12", ""),
        ("미진", "서울특별시 종로구 종로 19", ""),
    ], lineterminator="\n")

    result = ingest(data)

    assert [r.line for r in result.rows] == [2, 6]
    assert result.rows[0].extra == {"비고": "설렁탕 1904년 창업 종로 최고(最古)"}  # cells are clean_text'ed
    assert [(p.line, p.problem) for p in result.problems] == [(5, "name is required")]


def test_an_unclosed_quote_is_pointed_at():
    lines = ["업체명,주소", '미진,"서울 종로구 종로 19'] + [f"가게{i},서울 종로구 종로 {i}" for i in range(30)]

    result = ingest("\n".join(lines).encode())

    assert result.total_rows == 1
    assert [(p.line, p.severity, p.problem) for p in result.problems] == [
        (2, "warning", "record spans lines 2-32; check for a missing closing quote")
    ]


def test_a_csv_that_cannot_be_parsed_is_422_at_its_line():
    data = ("업체명,주소\n미진,서울 종로구\n" + "가게," + "가" * 200_000 + "\n").encode()

    with pytest.raises(InvalidUpload) as caught:
        ingest(data)

    problem = caught.value.extra["report"]["problems"][0]
    assert problem["line"] == 3
    assert problem["problem"].startswith("unreadable CSV: field larger than field limit")


# --- XLSX -------------------------------------------------------------------------


@pytest.mark.parametrize("value, text", [
    (None, None),
    (2019.0, "2019"),
    (2019, "2019"),
    (37.5704, "37.5704"),
    (dt.datetime(2019, 5, 1), "2019-05-01"),
    (dt.datetime(2019, 5, 1, 9, 30), "2019-05-01T09:30:00"),
    (dt.date(1904, 3, 1), "1904-03-01"),
    (True, "TRUE"),
    ("  이문\u1109\u1165\u11af농탕  ", "이문설농탕"),  # decomposed Hangul is composed (NFC)
    ("   ", None),
])
def test_xlsx_cell_values_become_csv_like_text(value, text):
    assert cell_text(value) == text


def test_xlsx_rows_keep_their_row_numbers_across_blank_rows(make_xlsx):
    data = make_xlsx([("백년가게 목록",), (), HEADER, ROWS[1], (), (), ROWS[2]], merge=["A1:D1"])

    [table] = read_tables(data, limit=100)

    assert table.encoding == "xlsx"
    assert [r.line for r in table.records] == [1, 3, 4, 7]
    assert [r.line for r in ingest(data).rows] == [4, 7]


def test_first_sheet_with_a_header_is_read_and_named(make_xlsx):
    data = make_xlsx(ROWS, sheets_before=1)

    result = ingest(data)

    assert [r.name for r in result.rows] == ["이문설농탕", "통인가게"]
    assert [(p.line, p.problem) for p in result.problems] == [
        (0, "read worksheet '목록'; the sheets before it have no recognisable header")
    ]


def test_xlsx_dates_in_a_year_column_give_the_year(make_xlsx):
    data = make_xlsx([("업체명", "주소", "선정일"), ("미진", "서울 종로구 종로 19", dt.datetime(2019, 11, 20))])
    assert ingest(data).rows[0].certified_year == 2019


def test_utf8_that_would_also_decode_as_cp949_is_read_as_utf8(make_csv):
    """UTF-8 is tried first: "é" (C3 A9) is also a valid CP949 pair and would become "첩"."""
    data = make_csv([("id", "name", "address"), ("F-1", "Café Ésprit", "서울 종로구 종로 1")])
    data = data.replace("서울 종로구 종로 1".encode(), b"Seoul")  # keep every byte CP949-valid

    assert data.decode("cp949") != data.decode("utf-8")
    assert decode_text(data).encoding == "utf-8"
    assert "Café Ésprit" in decode_text(data).text


def test_nul_bytes_mean_binary_even_when_a_guess_could_decode_them():
    data = "업체명,주소\r\n미진,서울 종로구 종로 19\r\n".encode("utf-16-le")  # no BOM

    with pytest.raises(UnsupportedFile) as caught:
        ingest(data)
    assert "binary data" in caught.value.detail
