"""Kernel views against the guest's own truth, on every lab kernel
(scenario `views`: brd and dummy reloaded with parameters, labbpf's
programs and maps).

- lsmod: every module of /proc/modules with the same size, state, text
  base, refcount, users and taints, and no other (Unformed excepted);
  parameters equal /sys/module/*/parameters, plus dummy's numdummies=2
  which has no sysfs file (only module.kp holds it);
- dmesg: every record the guest's /dev/kmsg gave (truth `kmsg`, read
  before cloudprobe) has the same seq, level, facility, microseconds,
  text (escaped as /dev/kmsg escapes) and SUBSYSTEM/DEVICE;
- dmesg after /dev/kmsg was flooded past the ring's size (its data ring
  wrapped, lpos overflowed): the survivors equal /dev/kmsg's; and while a
  flood runs, every read is consistent (seqs increasing, each flood line
  intact at its own seq) and exits 0 or 1 (torn records skipped, counted);
- ebpf / ebpf_maps: exactly the programs and maps of BPF_*_GET_NEXT_ID
  with the same id, type, name, tag, lengths, load time, uid, map ids,
  key/value sizes, entries and flags; labbpf's lab_sockfilt among them.

Each view's wall time is printed (the sanitizer build: slower than
release).
"""
import json
import re
import sys
import threading
import time
import unittest

import lablib

SCENARIO = "views"


def kmsg_escape(text):
    """Text as /dev/kmsg prints it: bytes < 0x20, >= 0x7f and '\\' as \\xNN."""
    out = []
    for c in text.encode("utf-8", "surrogateescape"):
        out.append("\\x%02x" % c if c < 0x20 or c >= 0x7F or c == 0x5C else chr(c))
    return "".join(out)


def split_params(s):
    """'a=1,b=x,y,c=2' -> {'a': '1', 'b': 'x,y', 'c': '2'} (arrays keep commas)."""
    out, last = {}, None
    for piece in (s or "").split(","):
        if "=" in piece:
            last, _, v = piece.partition("=")
            out[last] = v
        elif last is not None:
            out[last] += "," + piece
    return out


def timed(view, g):
    t0 = time.monotonic()
    recs = lablib.cloudprobe_json(view, "shm:" + g.mem)
    dt = time.monotonic() - t0
    print("  %s %s: %d records in %.2f s" % (g.flavour, view, len(recs), dt),
          file=sys.stderr)
    return recs


class KernelViews(unittest.TestCase):
    def guest(self, flavour):
        return lablib.guest(flavour, SCENARIO)

    def test_lsmod_matches_proc_modules(self):
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                g = self.guest(flavour)
                truth = json.loads(g.truth(fresh=True).text("modules.json"))
                ours = [r for r in timed("lsmod", g) if r["state"] != "Unformed"]
                want = {m["name"]: (m["size"], m["state"], m["base"], m["refcnt"],
                                    sorted(m["deps"]), m["taint"].strip("+-"))
                        for m in truth}
                got = {r["name"]: (r["size"], r["state"], int(r["base"], 16),
                                   r["refcount"],
                                   sorted((r["used_by"] or "").split(",")) if r["used_by"] else [],
                                   r["taints"] or "")
                       for r in ours}
                self.assertEqual(len(got), len(ours), "%s: a module listed twice" % flavour)
                self.assertIn("brd", want)
                self.assertIn("dummy", want)
                self.assertEqual(got, want, flavour)

    def test_lsmod_params_match_sysfs(self):
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                g = self.guest(flavour)
                truth = json.loads(g.truth().text("modparams.json"))
                ours = {r["name"]: split_params(r["params"])
                        for r in lablib.cloudprobe_json("lsmod", "shm:" + g.mem)}
                self.assertGreaterEqual(len(truth), 3, "brd's parameters missing from the truth")
                for t in truth:
                    self.assertEqual(ours.get(t["module"], {}).get(t["param"]), t["value"],
                                     "%s: %s.%s" % (flavour, t["module"], t["param"]))
                # start: `insmod dummy.ko numdummies=2`; no sysfs file holds it
                self.assertEqual(ours["dummy"].get("numdummies"), "2", flavour)
                self.assertEqual(ours["brd"].get("rd_nr"), "2", flavour)

    def test_dmesg_matches_dev_kmsg(self):
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                g = self.guest(flavour)
                truth = json.loads(g.truth(fresh=True).text("kmsg.json"))
                ours = {r["seq"]: r for r in timed("dmesg", g)}
                self.assertGreater(len(truth), 200)
                first = min(ours)
                overlap = [t for t in truth if t["seq"] >= first]
                self.assertGreater(len(overlap), 200, "%s: ring overwritten?" % flavour)
                bad = []
                for t in overlap:
                    o = ours.get(t["seq"])
                    if o is None:
                        bad.append((t["seq"], "missing"))
                        continue
                    d = {}
                    if o["subsystem"]:
                        d["SUBSYSTEM"] = o["subsystem"]
                    if o["device"]:
                        d["DEVICE"] = o["device"]
                    mine = (o["level"], o["facility"], o["ts_nsec"] // 1000,
                            kmsg_escape(o["text"]), d)
                    theirs = (t["level"], t["facility"], t["ts_us"], t["text"],
                              {k: v for k, v in t["dict"].items()
                               if k in ("SUBSYSTEM", "DEVICE")})
                    if mine != theirs:
                        bad.append((t["seq"], mine, theirs))
                self.assertEqual(bad[:3], [], "%s: %d of %d records differ"
                                 % (flavour, len(bad), len(overlap)))
                # one row per record, seqs increasing
                seqs = sorted(ours)
                self.assertEqual(seqs, list(ours))

    FLOOD = ('i=0; p=$(printf "%%0150d" 0); while [ $i -lt %d ]; do '
             'echo "<6>%s $i $p" > /dev/kmsg; i=$((i+1)); done')

    def compare_kmsg(self, flavour, truth, ours):
        first = min(ours)
        overlap = [t for t in truth if t["seq"] >= first]
        bad = [t["seq"] for t in overlap
               if t["seq"] not in ours
               or (ours[t["seq"]]["level"], ours[t["seq"]]["ts_nsec"] // 1000,
                   kmsg_escape(ours[t["seq"]]["text"]))
               != (t["level"], t["ts_us"], t["text"])]
        self.assertEqual(bad[:5], [], "%s: %d of %d records differ"
                         % (flavour, len(bad), len(overlap)))
        return overlap

    def test_dmesg_wrapped_ring(self):
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                g = self.guest(flavour)
                # 3000 records of ~170 bytes: 500 KB through a ring of
                # 128-256 KB, so blocks wrap to offset 0 many times
                g.exec(self.FLOOD % (3000, "cpflood"), timeout=240)
                truth = json.loads(g.truth(fresh=True).text("kmsg.json"))
                self.assertGreater(truth[0]["seq"], 0, "%s: the ring did not wrap" % flavour)
                ours = {r["seq"]: r for r in timed("dmesg", g)}
                overlap = self.compare_kmsg(flavour, truth, ours)
                self.assertGreater(len(overlap), 500)
                self.assertTrue(any(t["text"].startswith("cpflood 2999 ") for t in overlap))

    def test_dmesg_while_logging(self):
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                g = self.guest(flavour)
                flood = threading.Thread(target=g.exec, args=(self.FLOOD % (8000, "cplive"),),
                                         kwargs={"timeout": 240})
                flood.start()
                reads = partial = 0
                try:
                    time.sleep(1)
                    while flood.is_alive() and reads < 20:
                        rc, out, err = lablib.cloudprobe("dmesg", "shm:" + g.mem, "--json")
                        self.assertIn(rc, (0, 1), "%s: %s" % (flavour, err))
                        if rc == 1:
                            self.assertIn("torn", err)
                            partial += 1
                        recs = [json.loads(line) for line in out.splitlines()]
                        seqs = [r["seq"] for r in recs]
                        self.assertEqual(seqs, sorted(set(seqs)))
                        offsets = set()
                        for r in recs:
                            if r["text"].startswith("cplive "):
                                m = re.match(r"cplive (\d+) 0{150}$", r["text"])
                                self.assertIsNotNone(m, r["text"][:60])
                                offsets.add(r["seq"] - int(m.group(1)))
                        self.assertLessEqual(len(offsets), 1, "%s: flood lines at wrong seqs" % flavour)
                        reads += 1
                finally:
                    flood.join()
                print("  %s dmesg while logging: %d reads, %d partial" % (flavour, reads, partial),
                      file=sys.stderr)
                self.assertGreater(reads, 2)

    def test_ebpf_programs_match_bpf_syscall(self):
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                g = self.guest(flavour)
                truth = json.loads(g.truth().text("bpf_progs.json"))
                ours = timed("ebpf", g)
                want = {t["id"]: (t["type"], t["name"], t["tag"], t["jited_len"],
                                  t["xlated_len"], t["load_time"], t["uid"], t["map_ids"])
                        for t in truth}
                got = {r["id"]: (r["type_id"], r["name"], r["tag"], r["jited_len"],
                                 r["xlated_len"], r["load_time"], r["uid"],
                                 [int(x) for x in r["map_ids"].split(",")] if r["map_ids"] else [])
                       for r in ours}
                self.assertEqual(got, want, flavour)
                lab = [r for r in ours if r["name"] == "lab_sockfilt"]
                self.assertEqual(len(lab), 1, flavour)
                self.assertEqual(lab[0]["type"], "socket_filter")
                maps = {m["id"]: m["name"] for m in lablib.cloudprobe_json("ebpf_maps", "shm:" + g.mem)}
                self.assertEqual([maps[int(i)] for i in lab[0]["map_ids"].split(",")], ["lab_array"])

    def test_ebpf_maps_match_bpf_syscall(self):
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                g = self.guest(flavour)
                truth = json.loads(g.truth().text("bpf_maps.json"))
                ours = timed("ebpf_maps", g)
                want = {t["id"]: (t["type"], t["name"], t["key_size"], t["value_size"],
                                  t["max_entries"], t["flags"]) for t in truth}
                got = {r["id"]: (r["type_id"], r["name"], r["key_size"], r["value_size"],
                                 r["max_entries"], int(r["flags"], 16)) for r in ours}
                self.assertEqual(got, want, flavour)
                by_name = {r["name"]: r for r in ours}
                self.assertEqual(by_name["lab_array"]["type"], "array")
                self.assertEqual(by_name["lab_hash"]["type"], "hash")
                self.assertEqual(by_name["lab_hash"]["max_entries"], 16)


if __name__ == "__main__":
    unittest.main()
