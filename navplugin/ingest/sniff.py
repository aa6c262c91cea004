"""What an uploaded file is, judged by its bytes, and how its text is encoded.

Admins upload whatever their office saved: XLSX, CSV from Excel (CP949 on
Korean Windows), CSV UTF-8 with a BOM, and sometimes a legacy .xls, an HTML
table saved as ".xls", a PDF or a screenshot. The file name is only used in
messages; the bytes decide. Anything that is not an XLSX workbook or text is
refused with ``UnsupportedFile`` (415) and a detail that says how to fix it.

Text is decoded strictly as UTF-8 (with or without BOM), then strictly as
CP949 (a superset of EUC-KR), and only then, for a damaged file, tolerantly
or by charset-normalizer's guess, with a warning. Korean CP949 text therefore
decodes as CP949 and is never guessed to be Latin-1.
"""
from __future__ import annotations

import codecs
import io
import logging
import unicodedata
import zipfile
from dataclasses import dataclass

from navplugin.errors import UnsupportedFile
from navplugin.model import Problem

LOGGER = logging.getLogger(__name__)

SAVE_AS = "Open it in Excel and save it as 'Excel 통합 문서 (*.xlsx)' or 'CSV UTF-8 (쉼표로 분리) (*.csv)'."
UPLOAD_LIST = "Upload the list as an XLSX workbook or a CSV file."

# Leading bytes -> (what the file is, how to fix it). Checked before anything else.
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "a legacy Excel 97-2003 workbook (.xls), a password-protected workbook "
        "or another OLE2 document (.doc, .hwp)",
        "Remove any password, then open it in Excel and save it as "
        "'Excel 통합 문서 (*.xlsx)' or 'CSV UTF-8 (쉼표로 분리) (*.csv)'.",
    ),
    (b"%PDF-", "a PDF document", UPLOAD_LIST),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", UPLOAD_LIST),
    (b"\xff\xd8\xff", "a JPEG image", UPLOAD_LIST),
    (b"GIF87a", "a GIF image", UPLOAD_LIST),
    (b"GIF89a", "a GIF image", UPLOAD_LIST),
    (b"\x1f\x8b", "a gzip archive", UPLOAD_LIST),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", UPLOAD_LIST),
    (b"Rar!\x1a\x07", "a RAR archive", UPLOAD_LIST),
    (b"HWP Document File", "a Hangul (HWP) document", UPLOAD_LIST),
)
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")

# Zip members that tell what a non-XLSX zip is.
ZIP_MEMBERS: tuple[tuple[str, str], ...] = (
    ("xl/workbook.bin", "a binary Excel workbook (.xlsb)"),
    ("word/document.xml", "a Word document (.docx)"),
    ("ppt/presentation.xml", "a PowerPoint presentation (.pptx)"),
    ("Contents/content.hpf", "a Hangul document (.hwpx)"),
)
ODF_MIMETYPES = {
    b"application/vnd.oasis.opendocument.spreadsheet": "an OpenDocument spreadsheet (.ods)",
}

BINARY_SAMPLE = 8192
MAX_CONTROL_SHARE = 0.01  # text files carry tabs and newlines, not other control characters
DAMAGE_SHARE = 0.01  # at most 1% undecodable multi-byte characters is "damaged", not "wrong codec"

W_REPLACED = "{count} undecodable byte sequence(s) replaced with U+FFFD while reading as {encoding}"
W_GUESSED = "encoding guessed as {encoding}; check that the Korean text reads correctly"
W_OTHER_ENCODING = "line is not {encoding} like the rest of the file; read as {other}"


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    problems: tuple[Problem, ...] = ()


def unsupported(filename: str | None, what: str, hint: str) -> UnsupportedFile:
    subject = f"'{filename}'" if filename else "The uploaded file"
    return UnsupportedFile(f"{subject} is {what}, not a CSV or XLSX file. {hint}")


def sniff_kind(data: bytes, filename: str | None = None) -> str:
    """``"xlsx"`` or ``"text"``; raises ``UnsupportedFile`` for anything else."""
    for magic, what, hint in SIGNATURES:
        if data.startswith(magic):
            raise unsupported(filename, what, hint)
    if data.startswith(ZIP_SIGNATURES):
        return _sniff_zip(data, filename)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        raise unsupported(filename, "a WebP image", UPLOAD_LIST)
    return "text"


def _sniff_zip(data: bytes, filename: str | None) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype").strip() if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as exc:
        LOGGER.info("damaged zip upload %s: %s", filename, exc)
        raise unsupported(filename, "a damaged ZIP archive", SAVE_AS) from exc
    if "xl/workbook.xml" in names:
        return "xlsx"
    if mimetype in ODF_MIMETYPES:
        raise unsupported(filename, ODF_MIMETYPES[mimetype], SAVE_AS)
    for member, what in ZIP_MEMBERS:
        if member in names:
            raise unsupported(filename, what, UPLOAD_LIST)
    raise unsupported(filename, "a ZIP archive without an Excel workbook in it", UPLOAD_LIST)


def decode_text(data: bytes, filename: str | None = None) -> Decoded:
    """Decode CSV bytes without mojibake, or raise ``UnsupportedFile`` for binary data."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "유니코드 텍스트" export: UTF-16 with a BOM, tab-separated.
        try:
            return _checked(Decoded(data.decode("utf-16"), "utf-16"), filename)
        except UnicodeDecodeError as exc:
            raise unsupported(filename, "binary data behind a UTF-16 byte order mark", UPLOAD_LIST) from exc
    head = data[:BINARY_SAMPLE]
    if head.count(0) > max(2, len(head) * MAX_CONTROL_SHARE):
        # NUL bytes throughout: binary, or UTF-16 without its byte order mark. A stray NUL in a cell
        # is text with a row error (ingest's checks), not a reason to refuse the file.
        raise unsupported(filename, "binary data", UPLOAD_LIST)
    strict = ("utf-8-sig",) if data.startswith(codecs.BOM_UTF8) else ("utf-8", "cp949")
    for encoding in strict:
        try:
            return _checked(Decoded(data.decode(encoding), encoding), filename)
        except UnicodeDecodeError:
            continue
    mixed = _decode_by_line(data)
    if mixed is not None:
        return _checked(mixed, filename)
    damaged = _decode_damaged(data)
    if damaged is not None:
        return _checked(damaged, filename)
    return _checked(_decode_guessed(data, filename), filename)


def _decode_by_line(data: bytes) -> Decoded | None:
    """A file of UTF-8 lines and CP949 lines (rows pasted in from another file): each line as it was written.

    Every line must decode strictly in one of the two; the file is labelled
    with the codec most of its non-ASCII lines use, and each line in the other
    gets a warning naming its line.
    """
    lines = data.split(b"\n")
    decoded: list[str] = []
    used: list[str | None] = []
    for line in lines:
        if line.isascii():
            decoded.append(line.decode("ascii"))
            used.append(None)
            continue
        for encoding in ("utf-8", "cp949"):
            try:
                decoded.append(line.decode(encoding))
                used.append(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            return None
    utf8, cp949 = used.count("utf-8"), used.count("cp949")
    if not utf8 or not cp949:
        return None
    main, other = ("utf-8", "cp949") if utf8 >= cp949 else ("cp949", "utf-8")
    text = "\n".join(decoded)
    if main == "utf-8" and text.startswith("\ufeff"):
        text = text[1:]
    problems = tuple(Problem(number, None, None, W_OTHER_ENCODING.format(encoding=main, other=other), "warning")
                     for number, encoding in enumerate(used, start=1) if encoding == other)
    LOGGER.warning("upload with %d %s line(s) in a %s file", len(problems), other, main)
    return Decoded(text, main, problems)


def _decode_damaged(data: bytes) -> Decoded | None:
    """A UTF-8 or CP949 file with a few broken bytes (a truncated copy, a bad edit).

    Decoding it with replacement characters keeps every other row readable;
    guessing a different codec would garble all of them.
    """
    multibyte = len(data) - len(data.translate(None, bytes(range(128))))
    best: tuple[int, str, str] | None = None
    for encoding in ("utf-8-sig", "cp949"):
        text = data.decode(encoding, errors="replace")
        count = text.count("\ufffd")
        if best is None or count < best[0]:
            best = (count, encoding, text)
    assert best is not None
    count, encoding, text = best
    if count > max(2, int(multibyte * DAMAGE_SHARE)):
        return None
    if encoding == "utf-8-sig" and not data.startswith(codecs.BOM_UTF8):
        encoding = "utf-8"
    LOGGER.warning("decoded damaged upload as %s with %d replacement(s)", encoding, count)
    warning = Problem(0, None, None, W_REPLACED.format(count=count, encoding=encoding), "warning")
    return Decoded(text, encoding, (warning,))


def _decode_guessed(data: bytes, filename: str | None) -> Decoded:
    from charset_normalizer import from_bytes  # slow to import, rarely needed

    match = from_bytes(data).best()
    if match is None:
        raise unsupported(filename, "binary data", UPLOAD_LIST)
    encoding = match.encoding
    LOGGER.warning("upload %s: encoding guessed as %s", filename, encoding)
    warning = Problem(0, None, None, W_GUESSED.format(encoding=encoding), "warning")
    return Decoded(str(match), encoding, (warning,))


def _checked(decoded: Decoded, filename: str | None) -> Decoded:
    """Refuse decoded "text" that is mostly control characters, i.e. binary data."""
    sample = decoded.text[:BINARY_SAMPLE]
    controls = sum(1 for ch in sample if ch not in "\t\r\n" and unicodedata.category(ch) == "Cc")
    if sample and controls > max(2, len(sample) * MAX_CONTROL_SHARE):  # a stray one or two: a row error
        raise unsupported(filename, "binary data", UPLOAD_LIST)
    head = decoded.text.lstrip("\ufeff \t\r\n")[:200].lower()
    if head.startswith(("<!doctype", "<html", "<table", "<?xml", "<meta")):
        # Many Korean portals serve an HTML table (or XML Spreadsheet 2003) named ".xls".
        what = "an HTML page or XML document (some sites save tables this way as .xls)"
        raise unsupported(filename, what, SAVE_AS)
    return decoded
