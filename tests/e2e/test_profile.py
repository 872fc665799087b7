"""Kernel discovery against the guests' own truth, on every lab kernel.

- every core symbol of the guest's /proc/kallsyms has the same address and
  type in cloudprobe's table (via VMCOREINFO, and carved with --carve);
- the release matches uname -r, the layout validates;
- shm:, qemu:PID (process_vm_readv), qmp:, elf: and raw: sources of the
  same paused guest give identical profiles;
- a warm attach from the profile cache gives the same profile;
- the ISF export validates against Volatility 3's schema (when
  ../shared/isf is present) and imports back to a working profile.
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import lablib

# Fields that must agree between sources of one paused guest.
PROFILE_KEYS = ("release", "banner", "build_id", "kernel_offset", "phys_base",
                "kaslr_phys", "text_va", "text_pa", "pgd_pa", "paging_levels",
                "page_offset_base", "vmalloc_base", "vmemmap_base", "types",
                "symbols", "btf_paddr", "kallsyms_layout")


def core_kallsyms(text):
    """(address, type, name) of every line without a [module] suffix."""
    out = set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3:
            out.add((int(parts[0], 16), parts[1], parts[2]))
    return out


class Profile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(dir=os.path.join(lablib.ROOT, "build"))
        cls.cache = os.path.join(cls.tmp, "cache")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def info(self, source, *extra):
        recs = lablib.cloudprobe_json("info", source, "--cache-dir", self.cache, *extra)
        self.assertEqual(len(recs), 1)
        return recs[0]

    def symbols(self, source, *extra):
        recs = lablib.cloudprobe_json("ksyms", source, "--no-cache", *extra)
        return {(int(r["address"], 16), r["type"], r["name"]) for r in recs}

    def test_symbols_match_proc_kallsyms(self):
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                g = lablib.guest(flavour)
                truth = core_kallsyms(g.truth().text("kallsyms"))
                self.assertGreater(len(truth), 50000)
                src = "shm:" + g.mem
                for how in ((), ("--carve",)):
                    ours = self.symbols(src, *how)
                    self.assertEqual(len(truth - ours), 0,
                                     "%s %s: %d of the guest's symbols missing or different, e.g. %s"
                                     % (flavour, how, len(truth - ours), sorted(truth - ours)[:3]))
                    self.assertEqual(len(ours - truth), 0,
                                     "%s %s: %d symbols the guest does not have, e.g. %s"
                                     % (flavour, how, len(ours - truth), sorted(ours - truth)[:3]))

    def test_sources_agree_on_a_paused_guest(self):
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                g = lablib.guest(flavour)
                release = g.truth().text("uname").strip()
                pid = g.info["pid"] if "pid" in g.info else int(open(os.path.join(g.run, "qemu.pid")).read())
                lablib.lab("qmp", g.name, "stop")
                try:
                    d = tempfile.mkdtemp(dir=self.tmp)
                    sources = {
                        "shm": "shm:" + g.mem,
                        "qemu-readv": "qemu:%d,read=readv" % pid,
                        "qemu": "qemu:%d" % pid,
                        "qmp": "qmp:" + g.info["paths"]["qmp"],
                        "elf": "elf:" + g.dump(os.path.join(d, "core.elf")),
                        "raw": "raw:" + g.pmem(os.path.join(d, "mem.raw")),
                    }
                    recs = {k: self.info(v, "--no-cache") for k, v in sources.items()}
                finally:
                    lablib.lab("qmp", g.name, "cont")
                    shutil.rmtree(d, ignore_errors=True)
                base = recs["shm"]
                self.assertEqual(base["release"], release)
                self.assertGreater(base["types"], 10000)
                for k, r in recs.items():
                    for key in PROFILE_KEYS:
                        self.assertEqual(r[key], base[key], "%s: %s differs from shm:" % (k, key))

    def test_warm_attach_from_cache(self):
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                g = lablib.guest(flavour)
                src = "shm:" + g.mem
                cold = self.info(src)
                warm = self.info(src)
                if not cold["cached"]:
                    self.assertTrue(warm["cached"], warm["steps"])
                # (the table's layout is not cached: it came from the cache)
                for key in PROFILE_KEYS:
                    if key != "kallsyms_layout":
                        self.assertEqual(warm[key], cold[key], key)
                # and a cached symbol table still matches the guest
                truth = core_kallsyms(g.truth().text("kallsyms"))
                recs = lablib.cloudprobe_json("ksyms", src, "--cache-dir", self.cache)
                ours = {(int(r["address"], 16), r["type"], r["name"]) for r in recs}
                self.assertEqual(ours, truth)

    def test_isf_export_validates_and_imports(self):
        flavour = lablib.flavours()[0]
        g = lablib.guest(flavour)
        src = "shm:" + g.mem
        out = os.path.join(self.tmp, "profile.json")
        rc, _, err = lablib.cloudprobe("profile", src, "--isf", out, "--no-cache")
        self.assertEqual(rc, 0, err)
        with open(out) as f:
            isf = json.load(f)
        self.assertTrue(isf["metadata"]["format"].startswith("6."))
        self.assertIn("task_struct", isf["user_types"])
        banner = g.truth().text("version").rstrip("\n")
        import base64
        data = base64.b64decode(isf["symbols"]["linux_banner"]["constant_data"])
        self.assertEqual(data, (banner + "\n\0").encode())
        schema = os.path.join(lablib.ROOT, "..", "shared", "isf", "schema-6.3.0.json")
        if os.path.exists(schema):
            r = subprocess.run([os.path.join(lablib.ROOT, "tests", "unit", "kernel", "isf_validate.py"),
                                out], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        else:
            print("note: ../shared/isf absent: schema validation skipped")
        # the exported types serve discovery in place of RAM's BTF
        rec = self.info(src, "--isf", out, "--no-cache")
        self.assertTrue(rec["types_origin"].startswith("isf:"))
        self.assertEqual(rec["release"], g.truth().text("uname").strip())
        self.assertIn("kaslr ok", rec["steps"])

    def test_two_boots_two_kaslr_shifts(self):
        flavour = lablib.flavours()[0]
        a = lablib.guest(flavour)
        b = lablib.guest(flavour, name_suffix="second")
        ra, rb = self.info("shm:" + a.mem, "--no-cache"), self.info("shm:" + b.mem, "--no-cache")
        for g, r in ((a, ra), (b, rb)):
            truth = core_kallsyms(g.truth().text("kallsyms"))
            text = [t for t in truth if t[2] == "_text"][0][0]
            self.assertEqual(int(r["text_va"], 16), text)
        if ra["kernel_offset"] == rb["kernel_offset"]:
            print("note: both boots drew the same KASLR offset %s" % ra["kernel_offset"])


if __name__ == "__main__":
    unittest.main()
