"""The extraction worker: one document per process, under its own limits.

Run by `extract.py` as `python -I this_file` with an empty environment (it never holds
the app's keys). It caps its own address space (RLIMIT_AS) and CPU time (RLIMIT_CPU)
before reading anything, so a PDF or DOCX built to explode in memory or loop in a
parser ends this process, never the app; the app also kills it at its wall-clock
deadline.

Protocol on stdin: 4-byte big-endian length, a JSON header {"kind", "cpu_s",
"memory_bytes"}, then the document's bytes (the header's "size"). On stdout: one status
byte (b"o" sections, b"r" refused with a reason), a 4-byte length and a JSON body.
"""

from __future__ import annotations

import json
import resource
import struct
import sys
from pathlib import Path


def _limit(cpu_s: int, memory_bytes: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = cpu_s if hard == resource.RLIM_INFINITY else min(cpu_s, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _read_exactly(stream: object, size: int) -> bytes:
    data = stream.read(size)  # type: ignore[attr-defined]
    if len(data) != size:
        raise SystemExit(2)
    return data


def _answer(status: bytes, body: object) -> None:
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
    sys.stdout.buffer.write(status + struct.pack(">I", len(payload)) + payload)
    sys.stdout.buffer.flush()


def main() -> None:
    (size,) = struct.unpack(">I", _read_exactly(sys.stdin.buffer, 4))
    header = json.loads(_read_exactly(sys.stdin.buffer, size))
    data = _read_exactly(sys.stdin.buffer, int(header["size"]))
    _limit(int(header["cpu_s"]), int(header["memory_bytes"]))
    # -I leaves the package's folder off sys.path: the readers are found beside this file.
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from streamlit_agent.files._readers import READERS, Unreadable

    try:
        sections = READERS[header["kind"]](data)
    except Unreadable as exc:
        _answer(b"r", str(exc))
        return
    except MemoryError:
        _answer(b"r", "reading it needed more memory than a document may use")
        return
    _answer(b"o", sections)


if __name__ == "__main__":
    main()
