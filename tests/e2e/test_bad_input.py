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
import unittest

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

    def assert_rejected(self, source, *words):
        rc, out, err = lablib.cloudprobe("info", source, timeout=60)
        self.assertEqual(rc, 2, "%s: exit %d, stderr %r" % (source, rc, err))
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, "%s: stderr %r" % (source, err))
        self.assertNotIn("Sanitizer", err)
        for w in words:
            self.assertIn(w, lines[0], source)
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

    def test_truncated_lime(self):
        hdr = struct.pack("<IIQQ8s", 0x4C694D45, 1, 0, 0xfffff, b"\0" * 8)
        self.assert_rejected(self.write("cut.lime", hdr + bytes(4096)), "lime:", "truncated")


if __name__ == "__main__":
    unittest.main()
