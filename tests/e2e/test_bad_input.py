"""Bad input: every broken image gets one line on stderr and exit 2.

Runs the sanitizer build of cloudprobe on empty, truncated, random,
non-Linux and damaged images (some cut from a real lab guest's dump), and
checks: exit status 2, exactly one line on stderr naming what failed, no
sanitizer report, no hang (a timeout fails the test).
"""
import os
import random
import shutil
import struct
import tempfile
import subprocess
import time
import unittest
import json

import lablib


class BadInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(dir=os.path.join(lablib.ROOT, "build"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def write(self, name, data):
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def assert_rejected(self, source, *words, partial=False, extra=()):
        """partial: the kernel was identified, so the record is printed."""
        rc, out, err = lablib.cloudprobe("info", source, *extra, timeout=60)
        self.assertEqual(rc, 2, "%s: exit %d, stderr %r" % (source, rc, err))
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, "%s: stderr %r" % (source, err))
        self.assertNotIn("Sanitizer", err)
        for w in words:
            self.assertIn(w, lines[0], source)
        if not partial:
            self.assertEqual(out, "")

    def test_empty(self):
        self.assert_rejected(self.write("empty", b""), "empty file")

    def test_missing_and_not_a_file(self):
        self.assert_rejected("raw:" + os.path.join(self.dir, "nope"), "No such file")
        self.assert_rejected("raw:" + self.dir, "not a regular file")
        self.assert_rejected("bogus:x", "unknown memory source")

    def test_random_is_not_linux(self):
        rnd = random.Random(1234)
        data = bytes(rnd.getrandbits(8) for _ in range(4 << 20))
        self.assert_rejected(self.write("random", data), "no Linux kernel found",
                             "MiB scanned")

    def test_zeros_and_text(self):
        self.assert_rejected(self.write("zeros", bytes(1 << 20)), "no Linux kernel found")
        self.assert_rejected(self.write("text", b"Linux version (not really)\n" * 1000),
                             "no Linux kernel found")

    def test_truncated_elf_core(self):
        g = lablib.guest(lablib.flavours()[0])
        core = g.dump(os.path.join(self.dir, "core.elf"))
        size = os.path.getsize(core)
        with open(core, "rb") as f:
            head = f.read(1 << 20)
        self.assert_rejected(self.write("cut.elf", head), "elf:", "truncated")
        self.assert_rejected(self.write("hdr.elf", head[:40]), "not an ELF file")
        # lying program header count
        bad = bytearray(head[:4096])
        struct.pack_into("<H", bad, 56, 0xfff0)
        self.assert_rejected(self.write("phnum.elf", bytes(bad)), "program headers")
        self.assertGreater(size, 200 << 20)
        os.unlink(core)

    def damaged_copy(self, name, patch):
        """A raw snapshot of a lab guest with patch(bytearray, info) applied."""
        g = lablib.guest(lablib.flavours()[0])
        raw = g.pmem(os.path.join(self.dir, name))
        info = lablib.cloudprobe_json("info", "raw:" + raw, "--no-cache")[0]
        with open(raw, "r+b") as f:
            data = bytearray(f.read())
            patch(data, info)
            f.seek(0)
            f.write(data)
        return raw

    def test_btf_torn_out(self):
        def tear(data, info):
            at = int(info["btf_paddr"], 16)
            # wipe the header (magic) and the first types of every copy
            # of the blob
            while at >= 0:
                data[at:at + 4096] = bytes(4096)
                at = data.find(b"\x9f\xeb\x01\x00\x18\x00\x00\x00", at + 1)
        raw = self.damaged_copy("nobtf.raw", tear)
        # (a warm attach would take the types from the profile cache)
        self.assert_rejected("raw:" + raw, "btf:", "MiB", partial=True, extra=("--no-cache",))
        # the kernel is still identified on stdout
        rc, out, _ = lablib.cloudprobe("info", "raw:" + raw, "--no-cache", "--json")
        self.assertEqual(json.loads(out)["release"],
                         lablib.guest(lablib.flavours()[0]).truth().text("uname").strip())

    def test_kallsyms_marker_corrupted(self):
        def corrupt(data, info):
            at = int(info["kallsyms_markers_paddr"], 16) + 4 * 3
            data[at:at + 4] = b"\xff\xff\x00\x00"
        raw = self.damaged_copy("marker.raw", corrupt)
        self.assert_rejected("raw:" + raw, "kallsyms:", "marker", partial=True,
                             extra=("--no-cache",))

    def test_qemu_exits_mid_read(self):
        g = lablib.guest(lablib.flavours()[0], name_suffix="doomed")
        pid = g.info["pid"]
        proc = subprocess.Popen([lablib.CLOUDPROBE, "ksyms", "qemu:%d,read=readv" % pid,
                                 "--carve", "--no-cache", "--json"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(0.05)
        lablib.lab("down", g.name)
        _, err = proc.communicate(timeout=120)
        # finished first (0) or saw the exit (2): never a crash or a hang
        self.assertIn(proc.returncode, (0, 2), err)
        self.assertNotIn("Sanitizer", err)
        if proc.returncode == 2:
            self.assertIn("exited", err)
            self.assertEqual(len(err.strip().splitlines()), 1, err)

    def test_truncated_lime(self):
        hdr = struct.pack("<IIQQ8s", 0x4C694D45, 1, 0, 0xfffff, b"\0" * 8)
        self.assert_rejected(self.write("cut.lime", hdr + bytes(4096)), "lime:", "truncated")


if __name__ == "__main__":
    unittest.main()
