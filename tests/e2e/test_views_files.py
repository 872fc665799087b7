"""test_views_files - the maps, lsof and mountinfo views against the guest's
own /proc, on every kernel flavour, with the `views` scenario (odd paths,
memfd, deleted files, pipes, sockets, anon inodes, a container with its own
mount namespace).

  maps       every VMA of every scenario process equals truth maps/PID
             (start, end, perms, offset, dev, inode, name)
  lsof       every open fd of every scenario process equals truth fds
             (path, flags with O_CLOEXEC, pos, inode, mnt_id)
  mountinfo  init's mounts equal truth mountinfo; every other namespace's
             (`mountinfo all`) equal truth mntns/INUM/mountinfo

Processes that come and go with the truth snapshot itself (its shell,
labps, gzip, cat) are left out; everything else present in both is compared
and the counts are printed. Strings are compared in the form cloudprobe's
JSON gives them (invalid UTF-8 and backslashes spelled \\xNN).
"""
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lablib  # noqa: E402

TRANSIENT = re.compile(r"^(/bin/sh\\x20/lab/truth|/bin/sh /lab/truth|labps|gzip|cat)")


def json_text(raw):
    """What cloudprobe's JSON holds for the guest bytes raw (util/text.c)."""
    try:
        s = raw.decode("utf-8")
        return s
    except UnicodeDecodeError:
        pass
    out, i = [], 0
    while i < len(raw):
        c = raw[i]
        n = 1 if c < 0x80 else 2 if 0xc2 <= c <= 0xdf else 3 if 0xe0 <= c <= 0xef \
            else 4 if 0xf0 <= c <= 0xf4 else 0
        chunk = raw[i:i + n] if n else b""
        ok = False
        if n and len(chunk) == n:
            try:
                ch = chunk.decode("utf-8")
                ok = True
            except UnicodeDecodeError:
                pass
        if ok and ch != "\\":
            out.append(ch)
            i += n
        else:
            out.append("\\x%02x" % c)
            i += 1
    return "".join(out)


def labps_unescape(s):
    """Bytes of a labps-escaped field (\\\\, \\t, \\n, \\xHH)."""
    out, i = bytearray(), 0
    b = s.encode("utf-8", "surrogateescape")
    while i < len(b):
        if b[i] == 0x5c and i + 1 < len(b):
            n = b[i + 1]
            if n == 0x5c:
                out.append(0x5c); i += 2; continue
            if n == ord("t"):
                out.append(9); i += 2; continue
            if n == ord("n"):
                out.append(10); i += 2; continue
            if n == ord("x"):
                out.append(int(b[i + 2:i + 4], 16)); i += 4; continue
        out.append(b[i]); i += 1
    return bytes(out)


def unmangle(b):
    """mountinfo's octal escapes (\\040 ...) back to bytes."""
    return re.sub(rb"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]), b)


def read_bytes(truth, *parts):
    with open(os.path.join(truth.path, *parts), "rb") as f:
        return f.read()


def stable_pids(truth):
    """User processes of the scenario (not the snapshot's own)."""
    pids = set()
    for line in truth.text("ps").splitlines()[1:]:
        f = line.split("\t")
        if len(f) < 11 or f[0] != f[1] or f[5] == "1":
            continue
        if TRANSIENT.match(f[10]) or f[9] in ("truth", "labps", "gzip", "cat"):
            continue
        pids.add(int(f[0]))
    return pids


def parse_maps(raw):
    rows = []
    for line in raw.split(b"\n"):
        if not line:
            continue
        f = line.split(None, 5)
        start, end = (int(x, 16) for x in f[0].split(b"-"))
        name = f[5] if len(f) > 5 else b""
        # show_map_vma escapes '\n' in file paths as \012.
        name = name.replace(b"\\012", b"\n")
        rows.append((start, end, f[1].decode(), int(f[2], 16), f[3].decode(),
                     int(f[4]), json_text(name)))
    return rows


def parse_mountinfo(raw):
    rows = []
    for line in raw.split(b"\n"):
        if not line:
            continue
        pre, post = line.split(b" - ", 1)
        f = pre.split(b" ")
        g = post.split(b" ")
        rows.append((int(f[0]), int(f[1]), f[2].decode(),
                     json_text(unmangle(f[3])), json_text(unmangle(f[4])),
                     f[5].decode(), " ".join(x.decode() for x in f[6:]),
                     json_text(unmangle(g[0])), json_text(unmangle(g[1])),
                     g[2].split(b",")[0].decode()))
    return rows


def mount_row(r):
    return (r["mnt_id"], r["parent_id"], r["dev"], r["root"],
            r["mount_point"], r["options"], r["propagation"], r["fstype"],
            r["source"], r["sb_options"])


class ViewsFiles(unittest.TestCase):
    def run_view(self, g, *args):
        t0 = time.monotonic()
        rows = lablib.cloudprobe_json(*args[:1], "shm:" + g.mem, *args[1:])
        dt = time.monotonic() - t0
        print("  %s %s: %d rows in %.3f s" % (g.flavour, " ".join(args),
                                              len(rows), dt), file=sys.stderr)
        return rows

    def check_flavour(self, flavour):
        g = lablib.guest(flavour, "views")
        truth = g.truth(fresh=True)
        maps = self.run_view(g, "maps")
        lsof = self.run_view(g, "lsof")
        mounts = self.run_view(g, "mountinfo")
        mounts_all = self.run_view(g, "mountinfo", "all")
        pids = stable_pids(truth)
        self.assertGreaterEqual(len(pids), 15, "views scenario processes")

        # ---- maps
        ours = {}
        for r in maps:
            ours.setdefault(r["pid"], []).append(
                (int(r["start"], 16), int(r["end"], 16), r["flags"],
                 int(r["pgoff"], 16), r["dev"], r["inode"], r["path"] or ""))
        compared = vmas = 0
        for pid in sorted(pids):
            p = os.path.join(truth.path, "maps", str(pid))
            if not os.path.exists(p):
                continue
            want = parse_maps(read_bytes(truth, "maps", str(pid)))
            self.assertEqual(ours.get(pid), want, "%s maps of pid %d" % (flavour, pid))
            compared += 1
            vmas += len(want)
        print("  %s maps: %d processes, %d VMAs equal" % (flavour, compared, vmas),
              file=sys.stderr)
        self.assertGreaterEqual(compared, 15)
        names = {r["path"] for r in maps}
        for n in ("[heap]", "[stack]", "[vdso]", "/memfd:lab-fileless (deleted)",
                  "/tmp/lab-deleted-exe (deleted)"):
            self.assertIn(n, names, "%s: a VMA named %s" % (flavour, n))

        # ---- lsof
        ours = {(r["pid"], r["fd"]): r for r in lsof}
        # The agent's descriptors change while it serves the truth request
        # (its stdin is the control port then): not a stable subject.
        agent = {int(l.split("\t")[0]) for l in truth.text("ps").splitlines()[1:]
                 if "/lab/agent" in l}
        fd_pids = pids - agent
        fds = 0
        kinds = set()
        for line in truth.text("fds").splitlines()[1:]:
            f = line.split("\t")
            pid, fd = int(f[0]), int(f[1])
            if pid not in fd_pids:
                continue
            r = ours.get((pid, fd))
            self.assertIsNotNone(r, "%s: pid %d fd %d missing" % (flavour, pid, fd))
            want_path = json_text(labps_unescape(f[6]))
            self.assertEqual(r["path"], want_path, "%s pid %d fd %d path" % (flavour, pid, fd))
            self.assertEqual(int(r["flags"], 8), int(f[3], 8), "%s pid %d fd %d flags" % (flavour, pid, fd))
            self.assertEqual(r["pos"], int(f[2]), "%s pid %d fd %d pos" % (flavour, pid, fd))
            self.assertEqual(r["inode"], int(f[5]), "%s pid %d fd %d ino" % (flavour, pid, fd))
            self.assertEqual(r["mnt_id"], int(f[4]), "%s pid %d fd %d mnt_id" % (flavour, pid, fd))
            kinds.add(want_path.split(":")[0] if ":" in want_path and not want_path.startswith("/") else "file")
            fds += 1
        extra = [k for k in ours if k[0] in fd_pids and
                 not any(l.startswith("%d\t%d\t" % k) for l in truth.text("fds").splitlines())]
        self.assertEqual(extra, [], "%s: fds we list that truth does not" % flavour)
        print("  %s lsof: %d fds equal (%s)" % (flavour, fds, ", ".join(sorted(kinds))),
              file=sys.stderr)
        self.assertGreaterEqual(fds, 50)
        for k in ("pipe", "socket", "anon_inode"):
            self.assertIn(k, kinds)

        # ---- mountinfo: init's namespace, then every other one
        want = parse_mountinfo(read_bytes(truth, "mountinfo"))
        self.assertEqual([mount_row(r) for r in mounts], want, "%s mountinfo" % flavour)
        ns_seen = 1
        nmounts = len(want)
        by_ns = {}
        for r in mounts_all:
            by_ns.setdefault(r["mntns"], []).append(mount_row(r))
        mntns_dir = os.path.join(truth.path, "mntns")
        for inum in sorted(os.listdir(mntns_dir)) if os.path.isdir(mntns_dir) else []:
            want = parse_mountinfo(read_bytes(truth, "mntns", inum, "mountinfo"))
            self.assertEqual(by_ns.get(int(inum)), want, "%s mntns %s" % (flavour, inum))
            ns_seen += 1
            nmounts += len(want)
        print("  %s mountinfo: %d namespaces, %d mounts equal" % (flavour, ns_seen, nmounts),
              file=sys.stderr)
        self.assertGreaterEqual(ns_seen, 3)


def _make(flavour):
    def test(self):
        self.check_flavour(flavour)
    return test


for _f in lablib.flavours():
    setattr(ViewsFiles, "test_" + re.sub(r"[^a-z0-9]", "_", _f), _make(_f))

if __name__ == "__main__":
    unittest.main()
