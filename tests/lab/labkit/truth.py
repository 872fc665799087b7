"""The truth channel: frames the guest writes to ttyS1 (RUN/truth.log).

Frame: "CPLAB-T SNAP NAME ENCODING LENGTH\n" + LENGTH bytes + "\n".
ENCODING is raw or gz.  A snapshot is the frames of one SNAP id between
NAME=BEGIN and NAME=END; the boot snapshot's id is `boot`, later ones take
the id of the control request that asked for them.  The agent announces
itself with a frame of SNAP `agent`, NAME `READY` (payload: guest uptime).

write_dir() turns one snapshot into files under RUN/truth/: one per section,
the nested frames of the `frames` section unpacked (maps/PID, environ/PID,
netns/INUM/*, mntns/INUM/*), plus JSON renderings of the tables (formats:
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


def parse_frames(data):
    """Yield (snap, name, payload bytes) for every complete frame in DATA."""
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


def frames(path, offset=0):
    """Yield (snap, name, payload bytes) for every complete frame of PATH from OFFSET."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read()
    except OSError:
        return
    yield from parse_frames(data)


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
        elif name == "frames" and inside:      # labps -F: raw frames, gzipped as one section
            for _, inner, data in parse_frames(payload):
                sections[inner] = data
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


# Tables written by `labps -t` (header line, tab-separated, "-" = absent):
# columns parsed as integers (base 10 unless listed in HEX/OCTAL) and as
# escaped text; the rest stay strings.
TABLES = {
    "procs": ("pid ppid pgid sid kthread flags uid euid suid fsuid gid egid sgid fsgid threads utime stime "
              "start vsize rss vmrss rss_anon rss_file rss_shmem pidns mntns netns utsns ipcns userns cgroupns",
              "cgroup exe comm"),
    "tasks": ("pid tid uid euid suid fsuid gid egid sgid fsgid utime stime start runtime_ns", "comm"),
    "fds": ("pid fd pos flags mnt_id ino", "target extra"),
    "ifaces": ("netns ifindex flags sysflags mtu operstate txqlen rx_packets rx_bytes rx_errors rx_dropped "
               "tx_packets tx_bytes tx_errors tx_dropped", ""),
    "addrs": ("netns ifindex prefixlen scope flags", ""),
    "modparams": ("mode", "value"),
    "bpf_progs": ("id type jited_len xlated_len load_time uid", "name"),
    "bpf_maps": ("id type key_size value_size max_entries flags", "name"),
}
HEX = {"flags", "sysflags"}
OCTAL = {("fds", "flags"), ("modparams", "mode")}


def text(field):
    """An escaped labps text field -> str (invalid UTF-8 replaced; exact bytes: unescape())."""
    return unescape(field).decode(errors="replace")


def parse_table(name, data):
    """One `labps -t` table -> list of dicts."""
    ints, texts = (set(c.split()) for c in TABLES[name])
    lines = data.decode(errors="replace").splitlines()
    if not lines:
        return []
    cols = lines[0].split("\t")
    rows = []
    for line in lines[1:]:
        vals = line.split("\t")
        if len(vals) != len(cols):
            continue
        r = {}
        for c, v in zip(cols, vals):
            if v == "-":
                r[c] = None
            elif c in ints:
                r[c] = int(v, 8 if (name, c) in OCTAL else 16 if c in HEX else 10)
            elif c in texts:
                r[c] = text(v)
            else:
                r[c] = v
        if name == "procs":
            r["nspid"] = [int(x) for x in r["nspid"].split(",")] if r["nspid"] else []
            r["groups"] = [int(x) for x in r["groups"].split(",")] if r["groups"] else []
        if name == "bpf_progs":
            r["map_ids"] = [int(x) for x in r["map_ids"].split(",")] if r["map_ids"] else []
        rows.append(r)
    return rows


def parse_kinfo(data):
    out = {}
    for line in data.decode(errors="replace").splitlines():
        k, _, v = line.partition("=")
        try:
            out[k] = int(v)
        except ValueError:
            try:
                out[k] = float(v)
            except ValueError:
                out[k] = v
    return out


def parse_kmsg(data):
    """/dev/kmsg records -> [{seq, level, facility, ts_us, flags, text, dict}] (text as the kernel escaped it)."""
    recs = []
    for rec in data.decode(errors="replace").split("\n"):
        if not rec or rec.startswith(" "):
            if rec and recs:                        # " KEY=VALUE" continuation of the previous record
                k, _, v = rec[1:].partition("=")
                recs[-1]["dict"][k] = v
            continue
        head, _, msg = rec.partition(";")
        f = head.split(",")
        if len(f) < 4:
            continue
        pri = int(f[0])
        recs.append({"seq": int(f[1]), "level": pri & 7, "facility": pri >> 3, "ts_us": int(f[2]),
                     "flags": f[3], "text": msg, "dict": {}})
    return recs


def parse_modules(data):
    """/proc/modules -> [{name, size, refcnt, deps, state, base, taint}]."""
    mods = []
    for line in data.decode(errors="replace").splitlines():
        f = line.split(" ", 6)
        if len(f) < 6:
            continue
        deps = [d for d in f[3].split(",") if d and d != "-"]
        mods.append({"name": f[0], "size": int(f[1]), "refcnt": int(f[2]) if f[2].lstrip("-").isdigit() else None,
                     "deps": deps, "state": f[4], "base": int(f[5], 16),
                     "taint": f[6].strip("()") if len(f) > 6 else ""})
    return mods


def _own_namespace_copies(sections):
    """netns/INUM/* and mntns/INUM/mountinfo for labps's own namespaces, from the top-level sections."""
    if "kinfo" not in sections:
        return {}
    info = parse_kinfo(sections["kinfo"])
    out = {}
    if info.get("netns"):
        for f, src in (("tcp", "tcp"), ("tcp6", "tcp6"), ("udp", "udp"), ("udp6", "udp6"), ("unix", "unix"),
                       ("dev", "netdev")):
            if src in sections:
                out[f"netns/{info['netns']}/{f}"] = sections[src]
    if info.get("mntns") and "mountinfo" in sections:
        out[f"mntns/{info['mntns']}/mountinfo"] = sections["mountinfo"]
    return out


def write_dir(sections, out_dir, meta):
    """Write one file per section (NAME may contain '/': maps/PID) and the JSON renderings."""
    tmp = out_dir + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    files = dict(sections)
    for name, payload in _own_namespace_copies(sections).items():
        files.setdefault(name, payload)
    for name, payload in files.items():
        if ".." in name.split("/") or name.startswith("/"):
            continue
        path = os.path.join(tmp, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(payload)
    rendered = {"ps": parse_ps, "kinfo": parse_kinfo, "kmsg": parse_kmsg, "modules": parse_modules}
    for name, payload in sections.items():
        if name in rendered:
            obj = rendered[name](payload)
        elif name in TABLES:
            obj = parse_table(name, payload)
        else:
            continue
        write_atomic(os.path.join(tmp, name + ".json"), json.dumps(obj, indent=0) + "\n")
    meta = dict(meta, sections={n: len(p) for n, p in sorted(sections.items())})
    write_atomic(os.path.join(tmp, "snapshot.json"), json.dumps(meta, indent=1) + "\n")
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)
    return out_dir
