"""Hostile inputs, built for the tests that refuse them and for bench/hostile.py, which measures the refusals.

Whatever could take the machine down is run by ``run_capped``: in a child
process with a memory cap, never in the test runner itself.
"""
from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent

CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                 b'content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')  # many parts
WORKBOOK = (b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><sheets><sheet name="s" sheetId="1"/></sheets></workbook>')
ROW = b'<row><c t="inlineStr"><is><t>0</t></is></c></row>'


def zigzag(vertices: int = 20_000, lon0: float = 126.9, lon1: float = 127.1, lat0: float = 37.50,
           lat1: float = 37.60) -> list[list[float]]:
    """A route back and forth across Seoul, every vertex a turn: the along-route request that held a
    worker for 23-48 s before its cost was bounded."""
    lon = np.linspace(lon0, lon1, vertices)
    lat = np.where(np.arange(vertices) % 2 == 0, lat0, lat1)
    return np.column_stack((lon, lat)).round(8).tolist()


def xlsx_bomb(unpacked_bytes: int, parts: int = 1) -> bytes:
    """A real workbook (openpyxl reads it) whose sheet XML, one row repeated, unpacks to ``unpacked_bytes``
    (about 1,000 to 1)."""
    from openpyxl import Workbook

    template = io.BytesIO()
    workbook = Workbook()
    for _ in range(parts - 1):
        workbook.create_sheet()
    workbook.save(template)
    buffer = io.BytesIO()
    chunk = ROW * (2**20 // len(ROW))
    with zipfile.ZipFile(template) as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for item in source.infolist():
            if not item.filename.startswith("xl/worksheets/sheet"):
                archive.writestr(item, source.read(item))
                continue
            with archive.open(item.filename, "w", force_zip64=True) as sheet:
                sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                            b"<sheetData>")
                written = 0
                while written < unpacked_bytes // parts:
                    sheet.write(chunk)
                    written += len(chunk)
                sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def xlsx_many_parts(count: int) -> bytes:
    """A workbook of thousands of tiny parts: cheap to send, each one work to open."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        for number in range(count):
            archive.writestr(f"xl/media/part{number}.xml", b"<x/>")
    return buffer.getvalue()


def csv_wide(size: int) -> bytes:
    """A CSV of one header and one row of ``size`` bytes of empty cells: millions of cells from commas."""
    return "업체명,주소\n".encode() + b"," * size + b"\n"


def nested_json(depth: int) -> bytes:
    return b'{"coordinates": ' + b"[" * depth + b"]" * depth + b"}"


def run_capped(code: str, memory_mb: int = 1536, timeout: float = 120) -> dict:
    """Run ``code`` (which prints one JSON object last) in a child Python capped at ``memory_mb`` of address
    space; its answer, plus its peak RSS in MB (``peak_mb``)."""
    limit = memory_mb * 2**20

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    wrapped = textwrap.dedent(code) + textwrap.dedent("""
        import resource as _resource
        print(_json.dumps({**_result, "peak_mb": _resource.getrusage(_resource.RUSAGE_SELF).ru_maxrss / 1024}))
    """)
    env = {"PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", "import json as _json\n" + wrapped], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=timeout, preexec_fn=cap)
    if done.returncode != 0:
        raise AssertionError(f"the capped child failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
