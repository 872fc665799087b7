"""Guest initramfs images: a newc cpio writer and the scenario builder.

An image holds busybox-static (one binary, an applet symlink per name), the
lab's guest scripts (tests/lab/guest), the scenario's files under
/lab/scenario, its *.c helpers compiled `gcc -static -O2` into /bin, and the
kernel modules its `modules` file names (plus their dependencies, from each
module's .modinfo) decompressed under /lib/modules/lab.  Images are cached
in $CACHE/initramfs by a hash of everything that goes in.

Not for: booting (guests.py) or fetching kernels (kernels.py).
"""
import glob
import gzip
import hashlib
import io
import lzma
import os
import re
import shutil
import struct
import subprocess

from .common import LabError, LAB_DIR, cache_dir, makedirs, run, sha256_file, write_atomic

FORMAT = "lab-initramfs-1"     # bump when the image layout changes
BUSYBOX = "/bin/busybox"
GUEST_DIR = os.path.join(LAB_DIR, "guest")
SCENARIO_DIR = os.path.join(LAB_DIR, "scenarios")
CFLAGS = ["-static", "-O2", "-Wall", "-pthread"]


class Cpio:
    """Writer for the newc ("070701") cpio format the kernel unpacks."""

    def __init__(self):
        self.buf = io.BytesIO()
        self.ino = 1000
        self.names = set()

    def _entry(self, name, mode, data=b"", rdev=(0, 0)):
        name = name.lstrip("/")
        if name in self.names:
            return
        self.names.add(name)
        self.ino += 1
        nb = name.encode() + b"\0"
        fields = (self.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(nb), 0)
        self.buf.write(b"070701" + b"".join(b"%08X" % f for f in fields) + nb)
        self.buf.write(b"\0" * (-(110 + len(nb)) % 4))
        self.buf.write(data)
        self.buf.write(b"\0" * (-len(data) % 4))

    def dir(self, name, mode=0o755):
        parts = name.strip("/").split("/")
        for i in range(1, len(parts) + 1):
            self._entry("/".join(parts[:i]), 0o040000 | mode)

    def file(self, name, data, mode=0o644):
        self.dir(os.path.dirname(name.strip("/"))) if "/" in name.strip("/") else None
        self._entry(name, 0o100000 | mode, data)

    def symlink(self, name, target):
        self.dir(os.path.dirname(name.strip("/"))) if "/" in name.strip("/") else None
        self._entry(name, 0o120000 | 0o777, target.encode())

    def chardev(self, name, major, minor, mode=0o600):
        self.dir(os.path.dirname(name.strip("/")))
        self._entry(name, 0o020000 | mode, rdev=(major, minor))

    def finish(self):
        self._entry("TRAILER!!!", 0)
        self.names.discard("TRAILER!!!")
        return self.buf.getvalue()


def _is_static(path):
    with open(path, "rb") as f:
        elf = f.read(1 << 16)
    if elf[:4] != b"\x7fELF":
        return False
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for i in range(phnum):
        if struct.unpack_from("<I", elf, phoff + i * phentsize)[0] == 3:   # PT_INTERP
            return False
    return True


def _busybox_applets():
    out = run([BUSYBOX, "--list-full"], "busybox --list-full")
    # `busybox` itself is in the list; linking it onto the binary gives ELOOP.
    return [a for a in out.split() if os.path.basename(a) != "busybox"]


def _compile(src):
    """A static binary for one helper source, cached by source and compiler."""
    gcc_version = run(["gcc", "--version"], "gcc --version").splitlines()[0]
    h = sha256_file(src, hashlib.sha256(f"{gcc_version} {CFLAGS}".encode())).hexdigest()[:24]
    out = os.path.join(makedirs(os.path.join(cache_dir(), "bin")), f"{h}-{os.path.basename(src)[:-2]}")
    if not os.path.exists(out):
        run(["gcc", *CFLAGS, "-o", out + ".tmp", src], f"compiling {os.path.relpath(src, LAB_DIR)}")
        os.replace(out + ".tmp", out)
    return out


# --- kernel modules -------------------------------------------------------

def _ko_bytes(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".xz"):
        return lzma.decompress(data)
    if path.endswith(".gz"):
        return gzip.decompress(data)
    if path.endswith(".zst"):
        return subprocess.run(["zstd", "-dc", path], capture_output=True, check=True).stdout
    return data


def _modinfo(ko):
    """key=value pairs of a module's .modinfo section (ELF64 little-endian)."""
    if ko[:4] != b"\x7fELF":
        return {}
    shoff, = struct.unpack_from("<Q", ko, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", ko, 0x3A)
    sec = lambda i: struct.unpack_from("<IIQQQQ", ko, shoff + i * shentsize)
    strtab = sec(shstrndx)
    info = {}
    for i in range(shnum):
        name_off, _, _, _, off, size = sec(i)
        end = ko.index(b"\0", strtab[4] + name_off)
        if ko[strtab[4] + name_off:end] == b".modinfo":
            for item in ko[off:off + size].split(b"\0"):
                k, _, v = item.decode(errors="replace").partition("=")
                if k:
                    info.setdefault(k, v)
    return info


def _module_index(moddir):
    index = {}
    for p in glob.glob(os.path.join(moddir, "kernel", "**", "*.ko*"), recursive=True):
        name = re.sub(r"\.ko(\.(xz|gz|zst))?$", "", os.path.basename(p)).replace("-", "_")
        index[name] = p
    return index


def resolve_modules(names, kernel):
    """[(name, .ko bytes)] for NAMES and their dependencies, dependencies first."""
    if not names:
        return []
    if not kernel.get("modules"):
        raise LabError(f"kernel {kernel['release']} has no module tree")
    index = _module_index(kernel["modules"])
    order, seen = [], set()

    def visit(name, chain):
        key = name.replace("-", "_")
        if key in seen:
            return
        if key not in index:
            raise LabError(f"module {name} not in {kernel['release']}"
                           + (f" (needed by {chain[-1]})" if chain else "")
                           + " (built in, or not built for this flavour?)")
        ko = _ko_bytes(index[key])
        seen.add(key)
        for dep in filter(None, _modinfo(ko).get("depends", "").split(",")):
            visit(dep, chain + [name])
        order.append((key, ko))

    for n in names:
        visit(n, [])
    return order


# --- scenario images --------------------------------------------------------

def _lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [l.split("#")[0].strip() for l in f if l.split("#")[0].strip()]


def scenario_chain(scenario, seen=()):
    """SCENARIO's directory after those it `extends` (a file naming one scenario)."""
    sdir = os.path.join(SCENARIO_DIR, scenario)
    if not os.path.isdir(sdir):
        known = sorted(os.listdir(SCENARIO_DIR)) if os.path.isdir(SCENARIO_DIR) else []
        raise LabError(f"unknown scenario {scenario!r} (known: {', '.join(known)})")
    if scenario in seen:
        raise LabError(f"scenario {scenario}: `extends` loops ({' -> '.join(seen + (scenario,))})")
    parents = _lines(os.path.join(sdir, "extends"))
    chain = scenario_chain(parents[0], seen + (scenario,)) if parents else []
    return chain + [sdir]


def scenario_modules(scenario):
    mods = []
    for sdir in scenario_chain(scenario):
        mods += [m for m in _lines(os.path.join(sdir, "modules")) if m not in mods]
    return mods


def build(scenario="base", kernel=None):
    """Path of the gzipped initramfs for SCENARIO (and KERNEL's modules)."""
    chain = scenario_chain(scenario)
    if not _is_static(BUSYBOX):
        raise LabError(f"{BUSYBOX} is not a static binary: install busybox-static")
    modules = resolve_modules(scenario_modules(scenario), kernel) if scenario_modules(scenario) else []

    files = []   # (guest path, bytes, mode)
    for name in sorted(os.listdir(GUEST_DIR)):
        src = os.path.join(GUEST_DIR, name)
        if name.endswith(".c"):
            files.append((f"bin/{name[:-2]}", open(_compile(src), "rb").read(), 0o755))
        elif name == "init":
            files.append(("init", open(src, "rb").read(), 0o755))
        elif name == "inittab":
            files.append(("etc/inittab", open(src, "rb").read(), 0o644))
        else:
            files.append((f"lab/{name}", open(src, "rb").read(), os.stat(src).st_mode & 0o777))
    scen = {}   # guest path -> (bytes, mode); a scenario overrides what it extends
    for sdir in chain:
        for root, dirs, names in os.walk(sdir):
            dirs.sort()
            for name in sorted(names):
                src = os.path.join(root, name)
                rel = os.path.relpath(src, sdir)
                if name.endswith(".c") and root == sdir:
                    scen[f"bin/{name[:-2]}"] = (open(_compile(src), "rb").read(), 0o755)
                elif rel not in ("extends", "modules"):
                    scen[f"lab/scenario/{rel}"] = (open(src, "rb").read(), os.stat(src).st_mode & 0o777)
    files += [(path, data, mode) for path, (data, mode) in sorted(scen.items())]
    for name, ko in modules:
        files.append((f"lib/modules/lab/{name}.ko", ko, 0o644))
    files.append(("lab/modules.order", "".join(n + "\n" for n, _ in modules).encode(), 0o644))
    files.append(("lab/scenario.name", scenario.encode() + b"\n", 0o644))
    applets = _busybox_applets()

    h = hashlib.sha256(FORMAT.encode())
    sha256_file(BUSYBOX, h)
    h.update(" ".join(applets).encode())
    for path, data, mode in files:
        h.update(f"\0{path}\0{mode}\0{len(data)}\0".encode())
        h.update(data)
    out = os.path.join(makedirs(os.path.join(cache_dir(), "initramfs")), h.hexdigest()[:32] + ".cpio.gz")
    if os.path.exists(out):
        return out

    c = Cpio()
    for d in ("proc", "sys", "dev", "tmp", "run", "root", "etc", "bin", "sbin", "usr/bin", "usr/sbin", "lib"):
        c.dir(d)
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/null", 1, 3, 0o666)
    c.file("bin/busybox", open(BUSYBOX, "rb").read(), 0o755)
    for a in applets:
        c.symlink(a, os.path.relpath("bin/busybox", os.path.dirname(a)))
    for path, data, mode in files:
        c.file(path, data, mode)
    c.file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n")
    c.file("etc/group", b"root:x:0:\n")
    write_atomic(out, gzip.compress(c.finish(), compresslevel=6, mtime=0))
    return out
