"""A minimal QMP client: one connection per call, events skipped.

QEMU's QMP socket serves one client at a time, so nothing in the lab holds it
open between commands.
"""
import json
import socket
import time

from .common import LabError


class Qmp:
    def __init__(self, path, timeout=30.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(path)
        except OSError as e:
            raise LabError(f"qmp: cannot connect to {path}: {e.strerror}")
        self.file = self.sock.makefile("rwb")
        self._read()                                   # greeting
        self.execute("qmp_capabilities")

    def _read(self):
        while True:
            try:
                line = self.file.readline()
            except socket.timeout:
                raise LabError("qmp: no reply from QEMU (timed out)")
            if not line:
                raise LabError("qmp: QEMU closed the connection")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def execute(self, command, arguments=None):
        req = {"execute": command}
        if arguments:
            req["arguments"] = arguments
        self.file.write(json.dumps(req).encode() + b"\n")
        self.file.flush()
        msg = self._read()
        if "error" in msg:
            raise LabError(f"qmp: {command}: {msg['error'].get('desc', msg['error'])}")
        return msg.get("return")

    def close(self):
        try:
            self.file.close()
            self.sock.close()
        except OSError:
            pass


def call(path, command, arguments=None, timeout=30.0):
    q = Qmp(path, timeout)
    try:
        return q.execute(command, arguments)
    finally:
        q.close()


def wait_job(path, job_cmd, args, query_cmd, timeout):
    """Run an async job (dump-guest-memory) and poll its status until done."""
    q = Qmp(path, timeout)
    try:
        q.execute(job_cmd, args)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            st = q.execute(query_cmd) or {}
            if st.get("status") == "completed":
                return st
            if st.get("status") == "failed":
                raise LabError(f"qmp: {job_cmd} failed")
            time.sleep(0.05)
        raise LabError(f"qmp: {job_cmd} not finished after {timeout:.0f} s")
    finally:
        q.close()
