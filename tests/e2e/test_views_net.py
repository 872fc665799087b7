"""The sockstat and ifconfig views against the guests' own /proc/net, on
every lab kernel, with the `views` scenario (base's labnet sockets plus a
container with its own network namespace, dummy0 with addresses).

Each check takes a truth snapshot, pauses the guest, runs cloudprobe on
its RAM, resumes, and takes a second snapshot. Then:

- every TCP/UDP socket present and unchanged in both snapshots (all
  namespaces: /proc/net/{tcp,tcp6,udp,udp6} and netns/INUM/*) appears
  with the same addresses, ports, state, inode and uid; and cloudprobe
  reports no inet socket that neither snapshot has;
- every unix socket with an inode in both snapshots matches path, type,
  St and the listening flag;
- base's sockets (127.0.0.1:7001, [::1]:7002, UDP 127.0.0.1:7003,
  /run/labnet.sock, the established pair) name the labnet processes;
- interfaces of every namespace equal /proc/net/dev's names, each counter
  lies between the two snapshots' values, and flags, MTU, MAC and every
  IPv4/IPv6 address equal rtnetlink's view (lo 127.0.0.1/::1, dummy0's
  10.99.0.1/24, 10.99.1.1/24 "dummy0:lab", fd00:99::1/64).
"""
import json
import os
import socket
import time
import unittest

import lablib

SCENARIO = "views"
TCP_LISTEN = 10


def hex_addr(text):
    """/proc/net/tcp's address: u32 words in host (little-endian) order."""
    raw = bytes.fromhex(text)
    words = [raw[i:i + 4][::-1] for i in range(0, len(raw), 4)]
    b = b"".join(words)
    return socket.inet_ntop(socket.AF_INET if len(b) == 4 else socket.AF_INET6, b)


def parse_inet(text, proto, family):
    """{key: (state, inode, uid)} of one /proc/net/{tcp,udp}[6] table."""
    out = {}
    for line in text.splitlines()[1:]:
        f = line.split()
        if len(f) < 10:
            continue
        la, lp = f[1].split(":")
        ra, rp = f[2].split(":")
        key = (proto, family, hex_addr(la), int(lp, 16), hex_addr(ra), int(rp, 16))
        out[key] = (int(f[3], 16), int(f[9]), int(f[7]))
    return out


def parse_unix(text):
    """{inode: (path, type, St, listening)} of /proc/net/unix (inode != 0)."""
    out = {}
    for line in text.splitlines()[1:]:
        f = line.split(None, 7)
        if len(f) < 7 or int(f[6]) == 0:
            continue
        out[int(f[6])] = (f[7] if len(f) > 7 else None, int(f[4], 16),
                          int(f[5], 16), int(f[3], 16) & 0x10000 != 0)
    return out


def parse_netdev(text):
    """{name: [rx_bytes, rx_packets, rx_errs, rx_drop, tx_bytes, tx_packets,
    tx_errs, tx_drop]} of /proc/net/dev."""
    out = {}
    for line in text.splitlines()[2:]:
        name, _, rest = line.partition(":")
        v = [int(x) for x in rest.split()]
        out[name.strip()] = v[0:4] + v[8:12]
    return out


def tsv(text):
    lines = text.splitlines()
    head = lines[0].split("\t")
    return [dict(zip(head, l.split("\t"))) for l in lines[1:] if l]


class Truth:
    """The sections this test needs, read at once (the truth dir is
    replaced by the next snapshot)."""

    def __init__(self, td):
        self.ifaces = tsv(td.text("ifaces"))
        self.addrs = tsv(td.text("addrs"))
        self.own = int(self.ifaces[0]["netns"])  # labps lists its own first
        self.ps = json.loads(td.text("ps.json"))
        dirs = {self.own: None}
        nsdir = os.path.join(td.path, "netns")
        if os.path.isdir(nsdir):
            for d in os.listdir(nsdir):
                dirs[int(d)] = "netns/%s/" % d
        self.inet, self.unix, self.dev = {}, {}, {}
        for ns, prefix in dirs.items():
            sec = (lambda n: n) if prefix is None else (lambda n, p=prefix: p + n)
            for name, proto, fam in (("tcp", "TCP", 4), ("tcp6", "TCP", 6),
                                     ("udp", "UDP", 4), ("udp6", "UDP", 6)):
                for k, v in parse_inet(td.text(sec(name)), proto, fam).items():
                    self.inet[(ns,) + k] = v
            self.unix.update({(ns, i): v for i, v in parse_unix(td.text(sec("unix"))).items()})
            self.dev[ns] = parse_netdev(td.text(sec("netdev" if prefix is None else "dev")))


def inet_key(r):
    fam = 4 if r["family"] == "AF_INET" else 6
    return (r["netns"], r["proto"], fam, r["local_addr"], r["local_port"],
            r["remote_addr"], r["remote_port"])


UNIX_TYPES = {"STREAM": 1, "DGRAM": 2, "SEQPACKET": 5}


class NetViews(unittest.TestCase):
    snaps = {}

    def snapshot(self, flavour):
        """(truth before, sockstat, ifconfig, truth after, seconds), once per flavour."""
        if flavour not in self.snaps:
            g = lablib.guest(flavour, SCENARIO)
            before = Truth(g.truth(fresh=True))
            lablib.lab("qmp", g.name, "stop")
            try:
                t0 = time.monotonic()
                socks = lablib.cloudprobe_json("sockstat", "shm:" + g.mem)
                t1 = time.monotonic()
                ifs = lablib.cloudprobe_json("ifconfig", "shm:" + g.mem)
                t2 = time.monotonic()
            finally:
                lablib.lab("qmp", g.name, "cont")
            after = Truth(g.truth(fresh=True))
            print("\n%s: sockstat %d rows %.2f s, ifconfig %d rows %.2f s"
                  % (flavour, len(socks), t1 - t0, len(ifs), t2 - t1))
            self.snaps[flavour] = (before, socks, ifs, after)
        return self.snaps[flavour]

    def test_inet_sockets_match_proc_net(self):
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                before, socks, _, after = self.snapshot(flavour)
                ours = {}
                for r in socks:
                    if r["proto"] in ("TCP", "UDP") and "table" in r["source"]:
                        ours[inet_key(r)] = (r["state_code"], r["inode"], r["uid"])
                stable = {k: v for k, v in before.inet.items() if after.inet.get(k) == v}
                self.assertGreaterEqual(len(stable), 10, flavour)
                missing = {k: v for k, v in stable.items() if ours.get(k) != v}
                self.assertEqual(missing, {}, "%s: truth sockets missing or different "
                                 "(ours: %s)" % (flavour, {k: ours.get(k) for k in missing}))
                invented = set(ours) - set(before.inet) - set(after.inet)
                self.assertEqual(invented, set(), flavour)
                # Two namespaces, both seen.
                self.assertEqual(len({k[0] for k in stable}), 2, flavour)

    def test_unix_sockets_match_proc_net(self):
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                before, socks, _, after = self.snapshot(flavour)
                ours = {}
                for r in socks:
                    if r["family"] == "AF_UNIX" and "table" in r["source"]:
                        ours[(r["netns"], r["inode"])] = (
                            r["local_addr"], UNIX_TYPES.get(r["type"]),
                            r["state_code"], r["state"] == "LISTENING")
                stable = {k: v for k, v in before.unix.items() if after.unix.get(k) == v}
                self.assertTrue(any(v[0] == "/run/labnet.sock" for v in stable.values()))
                self.assertTrue(any(v[0] == "@lab-ctr" for v in stable.values()))
                diff = {k: (v, ours.get(k)) for k, v in stable.items() if ours.get(k) != v}
                self.assertEqual(diff, {}, flavour)
                self.assertGreaterEqual(len(stable), 4, flavour)

    def test_base_sockets_have_their_owners(self):
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                before, socks, _, _ = self.snapshot(flavour)
                pids = {p["args"]: p["pid"] for p in before.ps if p["tid"] == p["pid"]}
                server, client = pids["labnet server"], pids["labnet client 7001"]
                own = [r for r in socks if r["netns"] == before.own]

                def one(pred, what):
                    rows = [r for r in own if pred(r)]
                    self.assertEqual(len(rows), 1, "%s: %s: %s" % (flavour, what, rows))
                    return rows[0]

                self.assertEqual(one(lambda r: r["proto"] == "TCP" and r["local_port"] == 7001
                                     and r["state"] == "LISTEN", "7001")["pid"], server)
                self.assertEqual(one(lambda r: r["proto"] == "TCP" and r["local_addr"] == "::1"
                                     and r["local_port"] == 7002, "7002")["pid"], server)
                self.assertEqual(one(lambda r: r["proto"] == "UDP" and r["local_port"] == 7003,
                                     "7003")["pid"], server)
                self.assertEqual(one(lambda r: r["local_addr"] == "/run/labnet.sock",
                                     "/run/labnet.sock")["pid"], server)
                est_c = one(lambda r: r["proto"] == "TCP" and r["remote_port"] == 7001
                            and r["state"] == "ESTABLISHED", "client end")
                est_s = one(lambda r: r["proto"] == "TCP" and r["local_port"] == 7001
                            and r["state"] == "ESTABLISHED", "server end")
                self.assertEqual(est_c["pid"], client)
                self.assertEqual(est_c["comm"], "labnet")
                self.assertEqual(est_s["pid"], server)
                self.assertEqual(est_s["remote_port"], est_c["local_port"])

    def test_interfaces_match(self):
        dynamic = 0x40 | 0x10000 | 0x20000  # RUNNING, LOWER_UP, DORMANT
        for flavour in lablib.flavours():
            with self.subTest(flavour=flavour):
                before, _, ifs, after = self.snapshot(flavour)
                ours = {(r["netns"], r["name"]): r for r in ifs}
                truth_names = {(ns, n) for ns, devs in before.dev.items() for n in devs}
                self.assertEqual(set(ours), truth_names, flavour)
                cols = ("rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
                        "tx_bytes", "tx_packets", "tx_errors", "tx_dropped")
                for (ns, name), r in ours.items():
                    lo, hi = before.dev[ns][name], after.dev[ns].get(name)
                    for i, c in enumerate(cols):
                        self.assertTrue(lo[i] <= r[c] <= hi[i], "%s %s %s: %s not in [%d, %d]"
                                        % (flavour, name, c, r[c], lo[i], hi[i]))
                self.assertGreater(ours[(before.own, "lo")]["rx_packets"], 0)
                for t in before.ifaces:
                    r = ours[(int(t["netns"]), t["name"])]
                    self.assertEqual(r["ifindex"], int(t["ifindex"]))
                    self.assertEqual(r["mtu"], int(t["mtu"]))
                    self.assertEqual(r["mac"], t["mac"])
                    flags = int(r["flags"], 16)
                    if t["sysflags"] != "-":
                        self.assertEqual(flags, int(t["sysflags"], 16), (flavour, t["name"]))
                    self.assertEqual(flags & ~dynamic, int(t["flags"], 16) & ~dynamic)
                v4, v6 = {}, {}
                for a in before.addrs:
                    key = (int(a["netns"]), a["ifname"])
                    if a["family"] == "inet":
                        v4.setdefault(key, set()).add("%s/%s %s" % (a["address"], a["prefixlen"], a["label"]))
                    else:
                        v6.setdefault(key, set()).add("%s/%s" % (a["address"], a["prefixlen"]))
                for key, r in ours.items():
                    got4 = set("%s %s" % x for x in zip(r["ipv4"].split(","), r["ipv4_labels"].split(","))
                               if x[0])
                    got6 = set(x for x in r["ipv6"].split(",") if x)
                    self.assertEqual(got4, v4.get(key, set()), (flavour, key))
                    self.assertEqual(got6, v6.get(key, set()), (flavour, key))
                self.assertIn("127.0.0.1/8 lo", v4[(before.own, "lo")])
                self.assertIn("::1/128", v6[(before.own, "lo")])
                self.assertIn("10.99.1.1/24 dummy0:lab", v4[(before.own, "dummy0")])
                self.assertIn("fd00:99::1/64", v6[(before.own, "dummy0")])


if __name__ == "__main__":
    unittest.main()
