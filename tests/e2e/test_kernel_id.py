"""The first end-to-end test: identify each lab guest's kernel from outside.

For every kernel flavour of the lab: boot a guest, read its RAM from the
host (the live shared RAM file, then an ELF core from dump-guest-memory,
then a raw pmemsave image) and check the kernel release and banner that
cloudprobe carves against the guest's own `uname -r` and /proc/version.
"""
import os
import tempfile
import unittest

import lablib


class KernelIdentity(unittest.TestCase):
    def check_source(self, g, source):
        rec = lablib.cloudprobe_json("info", source)
        self.assertEqual(len(rec), 1)
        rec = rec[0]
        truth = g.truth()
        release = truth.text("uname").strip()
        version = truth.text("version").rstrip("\n")
        self.assertEqual(rec["release"], release, source)
        # /proc/version prints the same fields as linux_banner
        self.assertEqual(rec["banner"], version, source)
        self.assertIn("vmcoreinfo ok", rec["steps"], source)
        self.assertIn("banner ok", rec["steps"], source)

    def test_every_flavour_every_source(self):
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                g = lablib.guest(flavour)
                self.check_source(g, "shm:" + g.mem)
                with tempfile.TemporaryDirectory(dir=os.path.join(lablib.ROOT, "build")) as d:
                    core = g.dump(os.path.join(d, "core.elf"))
                    self.check_source(g, "elf:" + core)
                    self.check_source(g, core)  # sniffed
                    raw = g.pmem(os.path.join(d, "mem.raw"))
                    self.check_source(g, "raw:" + raw)


if __name__ == "__main__":
    unittest.main()
