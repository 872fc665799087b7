"""Live guests change under us: sweeps of a churning guest.

The `churn` scenario forks and reaps children, creates threads and opens
and closes TCP connections, 20 of each a second, continuously. For
$CLOUDPROBE_CHURN_SECONDS (default 30; the issue's soak is 600) the
sanitizer build sweeps every view of the guest again and again and lists
its processes, and the test checks:

- no crash, no sanitizer report, no hang (every call has a timeout);
- exit status 0 or 1: a torn list may end a view early (partial, with a
  reason), never an error;
- no invented record: every process listed either exists in the guest's
  own ps before or after, or is one of the churn's short-lived processes
  (comm churn-child / labchurn / churn-thread), and its parent is a
  process of the same listing (or 0);
- processes that live through the whole test are never lost.
"""
import json
import os
import time
import unittest

import lablib

CHURN_COMMS = {"churn-child", "labchurn", "churn-thread"}


def truth_pids(g):
    """pid -> comm of processes (not threads) in a fresh truth snapshot."""
    rows = json.loads(g.truth(fresh=True).text("ps.json"))
    return {r["pid"]: r["comm"] for r in rows if r["tid"] == r["pid"]}


class Churn(unittest.TestCase):
    def test_sweeps_of_a_churning_guest(self):
        seconds = float(os.environ.get("CLOUDPROBE_CHURN_SECONDS", "30"))
        g = lablib.guest(lablib.flavours()[0], scenario="churn")
        src = "shm:" + g.mem
        before = truth_pids(g)
        self.assertTrue(before, "truth ps is empty")
        deadline = time.monotonic() + seconds
        sweeps = listings = partial = 0
        seen = []
        while time.monotonic() < deadline:
            rc, out, err = lablib.cloudprobe("sweep", src, "--count", "5", "--json",
                                             timeout=120)
            self.assertIn(rc, (0, 1), err)
            self.assertNotIn("Sanitizer", err)
            rows = [json.loads(l) for l in out.splitlines() if l.strip()]
            sweeps += sum(1 for r in rows if r["view"] == "(sweep)")
            partial += sum(1 for r in rows if r["status"] == "partial")
            errors = [r for r in rows if r["status"] == "error"]
            self.assertEqual(errors, [], "views failed outright: %s" % errors[:3])
            rc, out, err = lablib.cloudprobe("pslist", src, "--json", timeout=60)
            self.assertIn(rc, (0, 1), err)
            self.assertNotIn("Sanitizer", err)
            seen.append([json.loads(l) for l in out.splitlines() if l.strip()])
            listings += 1
        after = truth_pids(g)
        stable = set(before) & set(after)
        for listing in seen:
            pids = {r["pid"] for r in listing}
            for r in listing:
                known = r["pid"] in before or r["pid"] in after or r["pid"] == 0
                self.assertTrue(known or r["comm"] in CHURN_COMMS or r["kernel_thread"],
                                "invented process? %s" % r)
                self.assertTrue(r["ppid"] in pids or r["ppid"] == 0,
                                "parent %d of %d not in the same listing" % (r["ppid"], r["pid"]))
            lost = {p for p in stable if before[p] not in CHURN_COMMS} - pids
            self.assertEqual(lost, set(), "stable processes missing from a listing")
        self.assertGreater(sweeps, 0)
        print("churn: %.0f s, %d sweeps, %d process listings, %d partial views"
              % (seconds, sweeps, listings, partial))


if __name__ == "__main__":
    unittest.main()
