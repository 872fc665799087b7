"""Whether KVM works here, decided once by a short trial boot and cached.

`--accel auto` uses KVM only when $CACHE/kvm-trial.json says a trial guest
reached its init under KVM on this host kernel and QEMU binary.  The trial
QEMU runs with a parent-death signal and is killed at its deadline, so a
hanging KVM guest (no nested virtualisation) never outlives it.

Not for: booting lab guests (guests.py).
"""
import gzip
import json
import os
import shutil
import subprocess
import tempfile
import time

from .common import cache_dir, write_atomic, log
from .initramfs import BUSYBOX, Cpio

TRIAL_TIMEOUT = 10.0
QEMU = "qemu-system-x86_64"


def _key():
    qemu = shutil.which(QEMU) or QEMU
    st = os.stat(qemu) if os.path.exists(qemu) else None
    return f"{os.uname().release} {qemu} {st.st_size if st else 0} {int(st.st_mtime) if st else 0}"


def _trial(kernel):
    from .guests import pdeathsig_kill   # one implementation of the parent-death hook
    tmp = tempfile.mkdtemp(prefix="lab-kvm-")
    try:
        c = Cpio()
        c.dir("dev")
        c.chardev("dev/console", 5, 1)
        c.file("bin/busybox", open(BUSYBOX, "rb").read(), 0o755)
        c.file("init", b"#!/bin/busybox sh\n/bin/busybox echo CPLAB-KVM-OK > /dev/console\n"
                       b"/bin/busybox poweroff -f\n", 0o755)
        initrd = os.path.join(tmp, "initrd")
        with open(initrd, "wb") as f:
            f.write(gzip.compress(c.finish()))
        console = os.path.join(tmp, "console.log")
        argv = [QEMU, "-machine", "q35,accel=kvm", "-cpu", "host", "-m", "128M",
                "-kernel", kernel["vmlinuz"], "-initrd", initrd,
                "-append", "console=ttyS0 quiet panic=-1", "-display", "none",
                "-serial", f"file:{console}", "-nic", "none", "-no-reboot"]
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, preexec_fn=pdeathsig_kill)
        ok = False
        while time.monotonic() - t0 < TRIAL_TIMEOUT:
            if os.path.exists(console) and b"CPLAB-KVM-OK" in open(console, "rb").read():
                ok = True
                break
            if p.poll() is not None:
                break
            time.sleep(0.2)
        p.kill()
        p.wait()
        return ok, time.monotonic() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def works(kernel):
    """True if KVM guests boot here (cached trial)."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return False
    path = os.path.join(cache_dir(), "kvm-trial.json")
    try:
        rec = json.load(open(path))
        if rec.get("key") == _key():
            return rec["works"]
    except (OSError, ValueError, KeyError):
        pass
    log("lab: trying KVM once (result cached in kvm-trial.json)")
    ok, secs = _trial(kernel)
    os.makedirs(cache_dir(), exist_ok=True)
    write_atomic(path, json.dumps({"key": _key(), "works": ok, "seconds": round(secs, 2),
                                   "kernel": kernel["release"], "when": time.time()}) + "\n")
    log(f"lab: KVM {'works' if ok else 'does not work'} here ({secs:.1f} s trial)")
    return ok
