"""Paths, environment and the one error type every lab command raises.

Not for: anything that talks to apt, QEMU or a guest.
"""
import hashlib
import os
import subprocess
import sys

LAB_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_DIR = os.path.dirname(os.path.dirname(LAB_DIR))


class LabError(Exception):
    """A failure reported to the user as one line: `lab: MESSAGE`."""


def cache_dir():
    default = os.path.join(os.path.expanduser("~"), ".cache", "cloudprobe", "lab")
    return os.environ.get("CLOUDPROBE_LAB_CACHE") or default


def run_root():
    return os.environ.get("CLOUDPROBE_LAB_RUN") or os.path.join(REPO_DIR, "build", "lab")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def makedirs(path):
    os.makedirs(path, exist_ok=True)
    return path


def run(argv, what, **kw):
    """Run a host command; raise LabError naming `what` and the last stderr line."""
    try:
        p = subprocess.run(argv, capture_output=True, text=True, **kw)
    except FileNotFoundError:
        raise LabError(f"{what}: {argv[0]} not found (see tests/lab/DEPS)")
    if p.returncode != 0:
        lines = (p.stderr or p.stdout).strip().splitlines()
        tail = lines[-1] if lines else f"exit status {p.returncode}"
        raise LabError(f"{what}: {tail}")
    return p.stdout


def sha256_file(path, h=None):
    h = h or hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h


def write_atomic(path, data, mode=0o644):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def parse_size(text):
    """'256M' / '1G' / '268435456' -> bytes (QEMU's suffixes, binary units)."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    t = text.strip().upper().rstrip("B")
    try:
        if t and t[-1] in units:
            return int(t[:-1]) * units[t[-1]]
        return int(t)
    except ValueError:
        raise LabError(f"bad memory size {text!r} (want e.g. 256M or 1G)")


def proc_start_time(pid):
    """Kernel start time of PID (clock ticks since boot), or None if it is gone
    (or a zombie).

    Together with the pid it names a process uniquely, so a recycled pid is
    never mistaken for the owner that died.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2:].split()
    if fields[0] in (b"Z", b"X"):      # dead, waiting to be reaped: gone for us
        return None
    return int(fields[19])
