"""Every view gives the same answer from every source of one moment, and
SQL joins views.

On a paused `views` guest, each view read through shm: (the live RAM
file), qemu:PID with process_vm_readv, and an ELF core from
dump-guest-memory must print identical JSON. Then SQL over the live guest
joins processes with their sockets and must find the base scenario's
listener under the process the guest itself names.
"""
import json
import os
import shutil
import tempfile
import unittest

import lablib

VIEWS = ("pslist", "pstree", "psaux", "threads", "envars", "maps", "lsof",
         "mountinfo", "sockstat", "ifconfig", "lsmod", "dmesg", "ebpf", "ebpf_maps")


class ViewSources(unittest.TestCase):
    def test_sources_of_one_moment_agree(self):
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                g = lablib.guest(flavour, scenario="views")
                d = tempfile.mkdtemp(dir=os.path.join(lablib.ROOT, "build"))
                lablib.lab("qmp", g.name, "stop")
                try:
                    core = g.dump(os.path.join(d, "core.elf"))
                    sources = ("shm:" + g.mem, "qemu:%d,read=readv" % g.info["pid"],
                               "elf:" + core)
                    for view in VIEWS:
                        outs = []
                        for src in sources:
                            rc, out, err = lablib.cloudprobe(view, src, "--json", timeout=180)
                            self.assertIn(rc, (0, 1), "%s %s: %s" % (view, src, err))
                            outs.append(out)
                        self.assertGreater(len(outs[0]), 0, view)
                        self.assertEqual(outs[1], outs[0], "%s: qemu:PID differs from shm:" % view)
                        self.assertEqual(outs[2], outs[0], "%s: elf: differs from shm:" % view)
                finally:
                    lablib.lab("qmp", g.name, "cont")
                    shutil.rmtree(d, ignore_errors=True)

    def test_sql_joins_processes_and_sockets(self):
        g = lablib.guest(lablib.flavours()[0], scenario="views")
        procs = json.loads(g.truth().text("ps.json"))
        servers = {r["pid"] for r in procs if r["tid"] == r["pid"] and r["comm"] == "labnet"}
        rows = lablib.cloudprobe_json(
            "sql", "shm:" + g.mem,
            "SELECT p.pid AS pid, p.comm AS comm, s.state AS state "
            "FROM pslist p JOIN sockstat s ON s.pid = p.pid "
            "WHERE s.local_port = 7001 AND s.state = 'LISTEN'")
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0]["comm"], "labnet")
        self.assertIn(rows[0]["pid"], servers)
        # pushdown and plain scans agree
        one = lablib.cloudprobe_json("sql", "shm:" + g.mem,
                                     "SELECT pid, comm FROM pslist WHERE pid = 1")
        self.assertEqual([(r["pid"], r["comm"]) for r in one], [(1, "init")])


if __name__ == "__main__":
    unittest.main()
