"""lablib - what end-to-end tests share: the lab's guests and cloudprobe.

Tests ask for a guest by kernel flavour; the first ask boots it through
tests/lab/lab and later asks reuse it, so a whole e2e run boots each
flavour once. `tests/e2e/run` runs everything inside `lab session`, which
downs every guest on exit, even when a test fails or the run is killed.

The flavours under test come from $CLOUDPROBE_LAB_KERNELS (space- or
comma-separated), default: every flavour of tests/lab/kernels.conf.
"""
import json
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = os.path.join(ROOT, "tests", "lab", "lab")
# The sanitizer build: every e2e run is also a memory-safety run on real
# guest data. Override with $CLOUDPROBE_BIN.
CLOUDPROBE = os.environ.get("CLOUDPROBE_BIN",
                            os.path.join(ROOT, "build", "asan", "cloudprobe"))


def flavours():
    env = os.environ.get("CLOUDPROBE_LAB_KERNELS")
    if env:
        return [f for f in re.split(r"[\s,]+", env) if f]
    names = []
    with open(os.path.join(ROOT, "tests", "lab", "kernels.conf")) as f:
        for line in f:
            m = re.match(r"\[flavour:([^\]]+)\]", line.strip())
            if m:
                names.append(m.group(1))
    return names


def lab(*args, timeout=300, check=True):
    r = subprocess.run([LAB, *args], capture_output=True, text=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError("lab %s failed (%d): %s" %
                           (" ".join(args), r.returncode, r.stderr.strip()))
    return r


class Guest:
    """A booted lab guest: its run dir, RAM file and truth."""

    def __init__(self, name, flavour, scenario):
        self.name = name
        self.flavour = flavour
        r = lab("up", name, "--kernel", flavour, "--scenario", scenario)
        self.run = r.stdout.strip().splitlines()[-1]
        with open(os.path.join(self.run, "guest.json")) as f:
            self.info = json.load(f)
        self.mem = os.path.join(self.run, "mem")
        self._truth = None

    def truth(self, fresh=False):
        """The guest's own view: a dict of section name -> text."""
        if self._truth is None or fresh:
            d = lab("truth", self.name).stdout.strip().splitlines()[-1]
            self._truth = TruthDir(d)
        return self._truth

    def exec(self, cmd, timeout=60):
        return lab("exec", self.name, "--timeout", str(timeout), "--", cmd,
                   timeout=timeout + 30)

    def pmem(self, path):
        lab("pmem", self.name, path)
        return path

    def dump(self, path):
        lab("dump", self.name, path)
        return path


class TruthDir:
    def __init__(self, path):
        self.path = path

    def text(self, section):
        with open(os.path.join(self.path, section), "rb") as f:
            return f.read().decode("utf-8", "replace")


_guests = {}


def guest(flavour, scenario="base", name_suffix=""):
    """The guest of that flavour and scenario, booted on first use.
    name_suffix asks for a distinct guest of the same kind (a second boot)."""
    key = (flavour, scenario, name_suffix)
    if key not in _guests:
        name = "e2e-%s-%s%s" % (re.sub(r"[^a-z0-9]", "", flavour), scenario,
                                "-" + name_suffix if name_suffix else "")
        _guests[key] = Guest(name, flavour, scenario)
    return _guests[key]


def down_all():
    for g in _guests.values():
        lab("down", g.name, check=False)
    _guests.clear()


def cloudprobe(*args, timeout=120):
    """Runs cloudprobe; returns (exit status, stdout, stderr)."""
    r = subprocess.run([CLOUDPROBE, *args], capture_output=True, text=True,
                       timeout=timeout,
                       env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=1",
                                UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"))
    return r.returncode, r.stdout, r.stderr


def cloudprobe_json(*args, timeout=120):
    rc, out, err = cloudprobe(*args, "--json", timeout=timeout)
    if rc != 0:
        raise AssertionError("cloudprobe %s: exit %d: %s" % (" ".join(args), rc, err.strip()))
    return [json.loads(line) for line in out.splitlines() if line.strip()]
