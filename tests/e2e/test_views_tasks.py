"""Process views (pslist, psaux, threads, envars, pstree) against the
guest's own /proc, on every lab kernel, with the `views` scenario.

The truth collector spawns processes of its own, so each check brackets
cloudprobe between two truth snapshots and compares only processes that
are in both (same pid and start time): those existed all along. Processes
cloudprobe saw that neither truth has must be the collector's: descendants
of the lab agent.

Strings: cloudprobe's JSON keeps valid UTF-8 as is and spells other bytes
\\xNN (backslash doubled); the truth's text files use labps escaping. Both
are turned into raw bytes and compared as such (see `raw` and `esc`).
"""
import os
import re
import unittest

import lablib

SCENARIO = "views"


def esc(b, space=False):
    """labps's escaping of raw bytes (tests/lab/guest/labps.c)."""
    out = []
    for c in b:
        if c == 0x5C:
            out.append("\\\\")
        elif c == 9:
            out.append("\\t")
        elif c == 10:
            out.append("\\n")
        elif (c == 0x20 and space) or c < 0x20 or c >= 0x7F:
            out.append("\\x%02x" % c)
        else:
            out.append(chr(c))
    return "".join(out)


def raw(s):
    """cloudprobe's JSON string back to the guest's bytes."""
    if s is None:
        return None
    out = bytearray()
    i = 0
    while i < len(s):
        if s[i] == "\\" and s[i + 1:i + 2] == "\\":
            out += b"\\"
            i += 2
        elif s[i] == "\\" and re.match(r"x[0-9a-f]{2}", s[i + 1:i + 4]):
            out.append(int(s[i + 2:i + 4], 16))
            i += 4
        else:
            out += s[i].encode("utf-8")
            i += 1
    return bytes(out)


def table(text):
    """A labps table (header line, tab-separated rows) as dicts."""
    lines = text.split("\n")
    head = lines[0].split("\t")
    rows = []
    for line in lines[1:]:
        if not line:
            continue
        cells = line.split("\t")
        if len(cells) != len(head):
            raise AssertionError("truth row of %d cells, header %d: %r"
                                 % (len(cells), len(head), line))
        rows.append(dict(zip(head, cells)))
    return rows


class Truth:
    """One snapshot, read completely (the next `lab truth` replaces it)."""

    def __init__(self, g):
        t = g.truth(fresh=True)
        self.ps = table(t.text("ps"))
        self.procs = {int(r["pid"]): r for r in table(t.text("procs"))}
        self.tasks = {(int(r["pid"]), int(r["tid"])): r
                      for r in table(t.text("tasks"))}
        self.leaders = {int(r["pid"]): r for r in self.ps
                        if r["pid"] == r["tid"]}
        self.environ = {}
        edir = os.path.join(t.path, "environ")
        for name in os.listdir(edir) if os.path.isdir(edir) else ():
            with open(os.path.join(edir, name), "rb") as f:
                self.environ[int(name)] = f.read()


def stable(t1, t2):
    """pids of processes in both truths (same start time)."""
    return {pid for pid, r in t1.leaders.items()
            if pid in t2.leaders and t2.leaders[pid]["start"] == r["start"]}


class TasksViews(unittest.TestCase):
    def bracket(self, g, *views):
        """truth, every view (JSON records), truth."""
        t1 = Truth(g)
        out = {v: lablib.cloudprobe_json(v, "shm:" + g.mem) for v in views}
        t2 = Truth(g)
        return t1, out, t2

    def assert_extras_are_collectors(self, flavour, ours, both):
        by_pid = {r["pid"]: r for r in ours}
        agents = {r["pid"] for r in ours if r["comm"] == "agent"}
        self.assertTrue(agents, "%s: no lab agent in pslist" % flavour)
        for r in ours:
            if r["pid"] in both or r["kernel_thread"]:
                continue
            p, hops = r, 0
            while p and p["pid"] not in agents and hops < 64:
                p, hops = by_pid.get(p["ppid"]), hops + 1
            self.assertTrue(p and p["pid"] in agents,
                            "%s: pid %d (%s) is in neither truth and not the "
                            "collector's" % (flavour, r["pid"], r["comm"]))

    def test_pslist_psaux_match_ps(self):
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                g = lablib.guest(flavour, SCENARIO)
                t1, out, t2 = self.bracket(g, "pslist", "psaux")
                both = stable(t1, t2)
                ours = {r["pid"]: r for r in out["pslist"]}
                aux = {r["pid"]: r for r in out["psaux"]}
                self.assertGreater(len(both), 40)
                diffs, racy = [], 0
                for pid in sorted(both):
                    want = t1.leaders[pid]
                    r = ours.get(pid)
                    if r is None:
                        diffs.append("%d missing" % pid)
                        continue
                    got = {
                        "ppid": str(r["ppid"]), "uid": str(r["uid"]),
                        "euid": str(r["euid"]), "gid": str(r["gid"]),
                        "comm": esc(raw(r["name"])),
                        "kthread": "1" if r["kernel_thread"] else "0",
                        "start": str(r["start_time"]),
                        "args": aux[pid]["cmdline"] if pid in aux else None,
                    }
                    for k, v in got.items():
                        w = want[k]
                        if k == "comm" and w != t2.leaders[pid]["comm"]:
                            continue    # a worker's last work changed
                        if (k == "comm" and v != w and v.startswith("kworker/")
                                and w.startswith(esc(raw(r["comm"])))):
                            # A worker ran other work between the truths
                            # and back: its "-desc" is live state.
                            racy += 1
                            continue
                        if k == "args":
                            w, v = w.rstrip(" "), (v or "").rstrip(" ")
                        if v != w:
                            diffs.append("%d %s: ours %r, guest %r" % (pid, k, v, w))
                print("\n%s: pslist/psaux: %d processes in both truths, %d in "
                      "ours, %d differences, %d workers' descs changed"
                      % (flavour, len(both), len(ours), len(diffs), racy))
                self.assertEqual(diffs, [], flavour)
                self.assert_extras_are_collectors(flavour, out["pslist"], both)
                self.assertTrue(all(r["cmdline_complete"] for r in out["psaux"]))

    def test_pslist_details_match_procs(self):
        """exe, namespaces, cgroup, ns pid, RSS (where it held still)."""
        keys = (("pid_ns", "pidns"), ("mnt_ns", "mntns"), ("net_ns", "netns"),
                ("uts_ns", "utsns"), ("ipc_ns", "ipcns"), ("user_ns", "userns"),
                ("cgroup_ns", "cgroupns"), ("threads", "threads"))
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                g = lablib.guest(flavour, SCENARIO)
                t1, out, t2 = self.bracket(g, "pslist")
                both = stable(t1, t2) & set(t1.procs) & set(t2.procs)
                ours = {r["pid"]: r for r in out["pslist"]}
                diffs, n_exe, n_cg, n_rss = [], 0, 0, 0
                for pid in sorted(both):
                    want, r = t1.procs[pid], ours.get(pid)
                    if r is None:
                        diffs.append("%d missing" % pid)
                        continue
                    for k, tk in keys:
                        if str(r[k]) != want[tk]:
                            diffs.append("%d %s: ours %s, guest %s"
                                         % (pid, k, r[k], want[tk]))
                    nspid = want["nspid"].split(",")[-1]
                    if nspid not in ("", "-") and str(r["ns_pid"]) != nspid:
                        diffs.append("%d ns_pid: ours %s, guest %s"
                                     % (pid, r["ns_pid"], nspid))
                    if want["exe"] != "-":
                        n_exe += 1
                        if esc(raw(r["exe"] or "")) != want["exe"]:
                            diffs.append("%d exe: ours %r, guest %r"
                                         % (pid, r["exe"], want["exe"]))
                    elif r["exe"] is not None and not r["kernel_thread"]:
                        diffs.append("%d exe: ours %r, guest none" % (pid, r["exe"]))
                    if want["cgroup"] != "-":
                        n_cg += 1
                        if esc(raw(r["cgroup"] or "")) != want["cgroup"]:
                            diffs.append("%d cgroup: ours %r, guest %r"
                                         % (pid, r["cgroup"], want["cgroup"]))
                    if want["rss"] == t2.procs[pid]["rss"] and not r["kernel_thread"]:
                        n_rss += 1
                        if str(r["rss_pages"]) != want["rss"]:
                            diffs.append("%d rss: ours %s, guest %s"
                                         % (pid, r["rss_pages"], want["rss"]))
                print("\n%s: pslist details: %d processes, %d exe, %d cgroup, "
                      "%d rss compared, %d differences"
                      % (flavour, len(both), n_exe, n_cg, n_rss, len(diffs)))
                self.assertEqual(diffs, [], flavour)
                self.assertGreater(n_exe, 15)
                # The scenario's odd ones must be among them.
                exes = {raw(r["exe"]) for r in out["pslist"] if r["exe"]}
                for want in (b"/memfd:lab-fileless (deleted)",
                             b"/tmp/lab-deleted-exe (deleted)",
                             b"/tmp/odd dir/odd\nname\xff"):
                    self.assertIn(want, exes, flavour)
                cgroups = {r["comm"]: r["cgroup"] for r in out["pslist"]}
                self.assertEqual(cgroups.get("ctr-init"), "/ctr1")
                self.assertEqual(cgroups.get("ctr-server"), "/ctr1/app")

    def test_threads_match_tasks(self):
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                g = lablib.guest(flavour, SCENARIO)
                t1, out, t2 = self.bracket(g, "threads")
                both = stable(t1, t2)
                ours = {(r["tgid"], r["tid"]): r for r in out["threads"]}
                want = {k for k in t1.tasks if k[0] in both and k in t2.tasks}
                have = {k for k in ours if k[0] in both}
                self.assertEqual(sorted(want - have), [], flavour + ": threads missing")
                self.assertEqual(sorted(have - want), [], flavour + ": threads extra")
                diffs, n_rt = [], 0
                for k in sorted(want):
                    r, a, b = ours[k], t1.tasks[k], t2.tasks[k]
                    name = esc(raw(r["name"]))
                    if name != a["comm"] and a["comm"] == b["comm"]:
                        if (name.startswith("kworker/")
                                and a["comm"].startswith(esc(raw(r["comm"])))):
                            # A worker ran other work between the truths
                            # and back: its "-desc" is live state.
                            pass
                        else:
                            diffs.append("%s comm %r vs %r" % (k, r["comm"], a["comm"]))
                    if str(r["uid"]) != a["uid"] or str(r["euid"]) != a["euid"]:
                        diffs.append("%s uid" % (k,))
                    if str(r["start_time"]) != a["start"]:
                        diffs.append("%s start %s vs %s" % (k, r["start_time"], a["start"]))
                    # sum_exec_runtime only grows: ours lies between.
                    if a["runtime_ns"] != "-" and b["runtime_ns"] != "-":
                        n_rt += 1
                        if not int(a["runtime_ns"]) <= r["runtime_ns"] <= int(b["runtime_ns"]):
                            diffs.append("%s runtime %d not in [%s, %s]"
                                         % (k, r["runtime_ns"], a["runtime_ns"], b["runtime_ns"]))
                print("\n%s: threads: %d compared, %d runtimes bracketed, %d "
                      "differences" % (flavour, len(want), n_rt, len(diffs)))
                self.assertEqual(diffs, [], flavour)
                workers = [r for r in out["threads"] if r["comm"].startswith("lab-worker-")]
                self.assertEqual(len(workers), 4, flavour)

    def test_envars_match_environ(self):
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                g = lablib.guest(flavour, SCENARIO)
                t1, out, t2 = self.bracket(g, "envars")
                both = stable(t1, t2)
                ours = {}
                for r in out["envars"]:
                    entry = raw(r["key"]) + (b"=" + raw(r["value"]) if r["value"] is not None else b"")
                    ours.setdefault(r["pid"], []).append(entry)
                compared, diffs = 0, []
                for pid in sorted(both):
                    if pid not in t1.environ or t1.environ.get(pid) != t2.environ.get(pid):
                        continue
                    want = [e for e in t1.environ[pid].split(b"\0") if e]
                    compared += 1
                    if ours.get(pid, []) != want:
                        diffs.append("%d: ours %r, guest %r" % (pid, ours.get(pid), want))
                print("\n%s: envars: %d environments compared, %d differences"
                      % (flavour, compared, len(diffs)))
                self.assertEqual(diffs, [], flavour)
                self.assertGreater(compared, 10)
                odd = [r for r in out["envars"] if r["key"] == "LAB_ODD"]
                self.assertEqual([raw(r["value"]) for r in odd], [b"x\xffy\nz"])

    def test_pstree_is_a_forest_of_pslist(self):
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                g = lablib.guest(flavour, SCENARIO)
                tree = lablib.cloudprobe_json("pstree", "shm:" + g.mem)
                seen, stack = set(), []
                for r in tree:
                    self.assertNotIn(r["pid"], seen)
                    seen.add(r["pid"])
                    del stack[r["depth"]:]
                    if r["depth"]:
                        self.assertEqual(stack[-1], r["ppid"], flavour)
                    stack.append(r["pid"])
                    self.assertEqual(r["tree"], "  " * r["depth"] + r["comm"])
                depth = {r["comm"]: r["depth"] for r in tree}
                self.assertEqual(depth["init"], 0)
                self.assertEqual(depth["ctr-server"], 3)
                sub = lablib.cloudprobe_json("pstree", "shm:" + g.mem, "--pid",
                                             str(next(r["pid"] for r in tree
                                                      if r["comm"] == "labctr")))
                self.assertEqual([r["comm"] for r in sub],
                                 ["labctr", "ctr-init", "ctr-server", "ctr-client"])


if __name__ == "__main__":
    unittest.main()
