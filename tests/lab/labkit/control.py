"""Host side of the control channel (RUN/ctl.sock <-> guest ttyS2).

Protocol (guest side: tests/lab/guest/agent):
  request  "\nCPLAB-Q ID VERB ARGS...\n" [payload]
  reply    "CPLAB-R ID STATUS OUTLEN ERRLEN\n" OUT ERR "CPLAB-E ID\n"
IDs are random, so a reply left over from an earlier, abandoned client is
skipped rather than mistaken for ours.  QEMU's socket chardev serves one
client at a time; a second client waits in the listen backlog until the
first disconnects, which serialises concurrent requests to one guest.
"""
import base64
import os
import re
import socket
import time

from .common import LabError


class Reply:
    def __init__(self, status, out, err):
        self.status, self.out, self.err = status, out, err


def request(ctl_path, verb, args=(), payload=b"", timeout=60.0, rid=None):
    rid = rid or os.urandom(6).hex()
    deadline = time.monotonic() + timeout
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(ctl_path)
    except OSError as e:
        raise LabError(f"control: cannot connect to {ctl_path}: {e.strerror}")
    try:
        line = " ".join(["CPLAB-Q", rid, verb, *map(str, args)])
        sock.sendall(b"\n" + line.encode() + b"\n" + payload)
        head = re.compile(rb"CPLAB-R " + rid.encode() + rb" (\d+) (\d+) (\d+)\n")
        buf, m = b"", None
        while True:
            if m is None:
                m = head.search(buf)
            if m:
                need = m.end() + int(m.group(2)) + int(m.group(3)) + len(f"CPLAB-E {rid}\n")
                if len(buf) >= need:
                    break
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            sock.settimeout(left)
            chunk = sock.recv(1 << 16)
            if not chunk:
                raise LabError("control: guest channel closed (QEMU gone?)")
            buf += chunk
    except (TimeoutError, socket.timeout):
        raise LabError(f"control: no reply to {verb} within {timeout:.0f} s")
    finally:
        sock.close()
    status, olen, elen = (int(g) for g in m.groups())
    out = buf[m.end():m.end() + olen]
    err = buf[m.end() + olen:m.end() + olen + elen]
    return Reply(status, out, err)


def ping(ctl_path, timeout=5.0):
    return request(ctl_path, "ping", timeout=timeout).out.strip() == b"pong"


def exec_(ctl_path, command, timeout):
    """Run `sh -c COMMAND` in the guest, killed after TIMEOUT seconds there."""
    b64 = base64.b64encode(command.encode()).decode()
    # TCG guests are slow to start a shell: allow slack beyond the guest's own timeout.
    return request(ctl_path, "exec", (int(timeout), b64), timeout=timeout + 30)


def put(ctl_path, data, guest_path, timeout=120.0):
    b64 = base64.b64encode(data)
    return request(ctl_path, "put", (len(b64), base64.b64encode(guest_path.encode()).decode()),
                   payload=b64, timeout=timeout)


def truth(ctl_path, snap_id, timeout=120.0):
    """Ask for a snapshot; the guest uses the request id as the snapshot id."""
    return request(ctl_path, "truth", timeout=timeout, rid=snap_id)
