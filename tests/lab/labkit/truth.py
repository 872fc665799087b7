"""The truth channel: frames the guest writes to ttyS1 (RUN/truth.log).

Frame: "CPLAB-T SNAP NAME ENCODING LENGTH\n" + LENGTH bytes + "\n".
ENCODING is raw or gz.  A snapshot is the frames of one SNAP id between
NAME=BEGIN and NAME=END; the boot snapshot's id is `boot`, later ones take
the id of the control request that asked for them.  The agent announces
itself with a frame of SNAP `agent`, NAME `READY` (payload: guest uptime).

parse_snapshot() turns one snapshot into files under RUN/truth/ (formats:
tests/lab/README.md).  Not for: talking to the guest (control.py does).
"""
import gzip
import json
import os
import re
import shutil

from .common import LabError, write_atomic

HEADER = re.compile(rb"CPLAB-T (\S+) (\S+) (raw|gz) (\d+)\n")
PS_COLUMNS = ["pid", "tid", "ppid", "uid", "euid", "gid", "state", "kthread", "start", "comm", "args"]


def frames(path, offset=0):
    """Yield (snap, name, payload bytes) for every complete frame from OFFSET."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except OSError:
        return
    pos = 0
    while True:
        m = HEADER.search(data, pos)
        if not m:
            return
        n = int(m.group(4))
        end = m.end() + n
        if end > len(data):
            return                      # still being written
        payload = data[m.end():end]
        if m.group(3) == b"gz":
            try:
                payload = gzip.decompress(payload)
            except (OSError, EOFError) as e:
                raise LabError(f"truth: section {m.group(2).decode()} is corrupt ({e})")
        yield m.group(1).decode(), m.group(2).decode(), payload
        pos = end


def ready(path):
    """Guest uptime (seconds) when the agent announced itself, or None."""
    for snap, name, payload in frames(path):
        if snap == "agent" and name == "READY":
            return float(payload.split()[0] or 0)
    return None


def snapshot(path, snap, offset=0):
    """{name: bytes} of the complete snapshot SNAP (the last one with that id)."""
    sections, inside, done = {}, False, None
    for s, name, payload in frames(path, offset):
        if s != snap:
            continue
        if name == "BEGIN":
            sections, inside = {}, True
        elif name == "END" and inside:
            done, inside = sections, False
        elif inside:
            sections[name] = payload
    return done


def unescape(field):
    """Undo labps's escaping (\\\\, \\t, \\n, \\xHH) -> bytes."""
    out, i, b = bytearray(), 0, field.encode()
    while i < len(b):
        if b[i] == 0x5C and i + 1 < len(b):
            c = b[i + 1:i + 2]
            if c == b"x":
                out.append(int(b[i + 2:i + 4], 16))
                i += 4
                continue
            out += {b"t": b"\t", b"n": b"\n", b"\\": b"\\"}.get(c, c)
            i += 2
            continue
        out.append(b[i])
        i += 1
    return bytes(out)


def parse_ps(text):
    """labps's table -> list of dicts (argv as a list of str, ids as int)."""
    rows = []
    lines = text.decode(errors="replace").splitlines()
    for line in lines[1:]:
        cols = line.split("\t")
        if len(cols) != len(PS_COLUMNS):
            continue
        r = dict(zip(PS_COLUMNS, cols))
        for k in ("pid", "tid", "ppid", "uid", "euid", "gid", "kthread", "start"):
            r[k] = int(r[k])
        r["comm"] = unescape(r["comm"]).decode(errors="replace")
        r["argv"] = [unescape(a).decode(errors="replace") for a in r["args"].split(" ")] if r["args"] else []
        rows.append(r)
    return rows


def write_dir(sections, out_dir, meta):
    """Write one file per section (NAME may contain one '/': maps/PID)."""
    tmp = out_dir + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    for name, payload in sections.items():
        if ".." in name.split("/") or name.startswith("/"):
            continue
        path = os.path.join(tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(payload)
    if "ps" in sections:
        write_atomic(os.path.join(tmp, "ps.json"), json.dumps(parse_ps(sections["ps"]), indent=0) + "\n")
    meta = dict(meta, sections={n: len(p) for n, p in sorted(sections.items())})
    write_atomic(os.path.join(tmp, "snapshot.json"), json.dumps(meta, indent=1) + "\n")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)
    return out_dir
