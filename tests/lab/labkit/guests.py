"""Guest lifecycle: boot, supervise, find, tear down.

Each guest lives in RUN/NAME/ (RUN = $CLOUDPROBE_LAB_RUN or <repo>/build/lab):
mem (guest RAM, a memory-backend-file), qmp.sock, ctl.sock, console.log
(ttyS0), truth.log (ttyS1), guest.json, supervisor.log, exit.json.

Ownership, so that no QEMU outlives the run that started it:
  * `lab up` starts a detached supervisor (its own session) that runs QEMU as
    its child.  QEMU carries PR_SET_PDEATHSIG=SIGKILL, so if the supervisor
    dies by any means, even SIGKILL, the kernel kills QEMU.
  * The supervisor watches an owner process: $CLOUDPROBE_LAB_OWNER if set,
    else the process that ran `lab up` (its parent: the shell or test runner).
    It holds a pidfd on the owner and also compares the owner's start time,
    so a recycled pid is not mistaken for it.  When the owner ends, the
    supervisor kills QEMU (SIGTERM, then SIGKILL after 3 s), deletes mem and
    exits.  `lab down` asks it (SIGTERM) to do the same.
  * `lab session -- CMD` (see session()) gives CMD a fresh run root and makes
    itself the owner, so a killed session takes its guests with it.

Not for: what runs inside the guest (tests/lab/guest) or the channels'
protocols (control.py, truth.py).
"""
import ctypes
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from . import control, initramfs, kernels, kvm, truth
from .common import LabError, LAB_DIR, log, makedirs, parse_size, proc_start_time, run_root, write_atomic

QEMU = "qemu-system-x86_64"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
PR_SET_PDEATHSIG = 1
DEFAULT_TCG_CPU = "qemu64"


def pdeathsig_kill():
    """preexec_fn: SIGKILL this child when the process that forked it dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1:          # the parent died before prctl took effect
        os._exit(1)


def run_dir(name):
    if not NAME_RE.match(name or ""):
        raise LabError(f"bad guest name {name!r} (letters, digits, _ . -; at most 64)")
    return os.path.join(run_root(), name)


def load(name):
    """guest.json of a guest that has been started (up or not), else LabError."""
    d = run_dir(name)
    try:
        with open(os.path.join(d, "guest.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        raise LabError(f"no guest {name!r} in {run_root()} (see `lab status`)")


def _alive(pid, start):
    return bool(pid) and proc_start_time(pid) == start


def is_up(g):
    return _alive(g.get("supervisor_pid"), g.get("supervisor_start")) and \
        not os.path.exists(os.path.join(g["run"], "exit.json"))


def require_up(name):
    g = load(name)
    if not is_up(g):
        raise LabError(f"guest {name} is not running (see {g['run']}/exit.json and console.log)")
    return g


def names():
    root = run_root()
    if not os.path.isdir(root):
        return []
    return sorted(n for n in os.listdir(root) if os.path.exists(os.path.join(root, n, "guest.json")))


# --- supervisor ---------------------------------------------------------------

class _Stop(Exception):
    pass


def _on_term(signum, frame):
    raise _Stop()


def supervise(rdir):
    """Body of the detached supervisor (`lab _supervise RUN/NAME`)."""
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    with open(os.path.join(rdir, "qemu.json")) as f:
        spec = json.load(f)
    owner, owner_start = spec["owner_pid"], spec["owner_start"]
    reason, status, qemu = "down", None, None
    try:
        owner_fd = None
        try:
            owner_fd = os.pidfd_open(owner)
        except (AttributeError, OSError):
            pass
        if proc_start_time(owner) != owner_start:
            raise _Stop("owner-exited")
        qemu = subprocess.Popen(spec["argv"], cwd=rdir, stdin=subprocess.DEVNULL,
                                stdout=open(os.path.join(rdir, "qemu.stdout"), "wb"),
                                stderr=subprocess.STDOUT, preexec_fn=pdeathsig_kill)
        write_atomic(os.path.join(rdir, "qemu.started"), f"{qemu.pid}\n")
        poller = select.poll()
        if owner_fd is not None:
            poller.register(owner_fd, select.POLLIN)
        while True:
            owner_event = poller.poll(250)
            if qemu.poll() is not None:
                reason, status = "qemu-exited", qemu.returncode
                break
            if owner_event or proc_start_time(owner) != owner_start:
                reason = "owner-exited"
                break
    except _Stop as e:
        reason = e.args[0] if e.args else "down"
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if qemu and qemu.poll() is None:
            qemu.terminate()
            try:
                qemu.wait(3)
            except subprocess.TimeoutExpired:
                qemu.kill()
                qemu.wait()
            status = qemu.returncode
        for f in ("mem", "qmp.sock", "ctl.sock"):
            try:
                os.unlink(os.path.join(rdir, f))
            except OSError:
                pass
        write_atomic(os.path.join(rdir, "exit.json"),
                     json.dumps({"reason": reason, "qemu_status": status, "time": time.time()}) + "\n")
        print(f"supervisor: {reason}, qemu status {status}", flush=True)


# --- up -------------------------------------------------------------------------

def _owner():
    env = os.environ.get("CLOUDPROBE_LAB_OWNER")
    if env:
        try:
            pid = int(env)
        except ValueError:
            raise LabError(f"CLOUDPROBE_LAB_OWNER={env!r} is not a pid")
    else:
        pid = os.getppid()
    start = proc_start_time(pid)
    if start is None:
        raise LabError(f"owner process {pid} is gone (CLOUDPROBE_LAB_OWNER or the caller of lab)")
    return pid, start


def console_tail(rdir, n=15):
    try:
        with open(os.path.join(rdir, "console.log"), "rb") as f:
            lines = f.read().decode(errors="replace").replace("\r", "").splitlines()
    except OSError:
        return "(no console.log)"
    return "\n".join(lines[-n:]) or "(console.log is empty)"


CRASH_RE = re.compile(r"(Kernel panic[^\n]*|Oops[^\n]*|BUG:[^\n]*|kernel BUG[^\n]*)")


def crash_hint(g):
    """The first kernel crash line of a guest's console, or ''."""
    try:
        with open(g["paths"]["console"], "rb") as f:
            m = CRASH_RE.search(f.read().decode(errors="replace"))
    except OSError:
        return ""
    return m.group(1).strip() if m else ""


def _accel(choice, kernel):
    if choice == "auto":
        return "kvm" if kvm.works(kernel) else "tcg"
    if choice not in ("tcg", "kvm"):
        raise LabError(f"bad --accel {choice!r} (auto, tcg or kvm)")
    return choice


def up(name, flavour=None, scenario="base", mem="256M", timeout=120.0, accel="tcg", cpus=1, cpu=None, append=""):
    rdir = run_dir(name)
    if os.path.exists(os.path.join(rdir, "guest.json")):
        try:
            if is_up(load(name)):
                raise LabError(f"guest {name} is already up ({rdir})")
        except LabError as e:
            if "already up" in str(e):
                raise
    if shutil.which(QEMU) is None:
        raise LabError(f"{QEMU} not found: install qemu-system-x86 (tests/lab/DEPS)")
    mem_bytes = parse_size(mem)
    owner, owner_start = _owner()
    kernel = kernels.require(flavour)
    initrd = initramfs.build(scenario, kernel)
    acc = _accel(accel, kernel)

    shutil.rmtree(rdir, ignore_errors=True)
    makedirs(rdir)
    p = {k: os.path.join(rdir, f) for k, f in (
        ("mem", "mem"), ("qmp", "qmp.sock"), ("ctl", "ctl.sock"), ("console", "console.log"),
        ("truth", "truth.log"), ("truth_dir", "truth"), ("pidfile", "qemu.pid"))}
    if len(p["ctl"].encode()) > 107:
        raise LabError(f"run dir {rdir} is too long for a unix socket path; set CLOUDPROBE_LAB_RUN shorter")
    argv = [QEMU, "-name", f"lab-{name}", "-machine", f"q35,accel={acc}",
            "-cpu", cpu or ("host" if acc == "kvm" else kernels.qemu_cpu(kernel["flavour"]) or DEFAULT_TCG_CPU),
            "-smp", str(cpus),
            "-m", str(mem_bytes // (1 << 20)) + "M",
            "-object", f"memory-backend-file,id=ram,size={mem_bytes},mem-path={p['mem']},share=on",
            "-machine", "memory-backend=ram", "-device", "vmcoreinfo",
            "-kernel", kernel["vmlinuz"], "-initrd", initrd,
            "-append", f"console=ttyS0 quiet panic=-1 lab.name={name} {append}".strip(),
            "-display", "none",
            "-serial", f"file:{p['console']}",
            "-serial", f"file:{p['truth']}",
            "-chardev", f"socket,id=ctl,path={p['ctl']},server=on,wait=off", "-serial", "chardev:ctl",
            "-nic", "none", "-no-reboot",
            "-qmp", f"unix:{p['qmp']},server=on,wait=off", "-pidfile", p["pidfile"]]
    write_atomic(os.path.join(rdir, "qemu.json"),
                 json.dumps({"argv": argv, "owner_pid": owner, "owner_start": owner_start}, indent=1))
    t0 = time.monotonic()
    sup = subprocess.Popen([sys.executable, os.path.join(LAB_DIR, "lab"), "_supervise", rdir],
                           stdin=subprocess.DEVNULL, stdout=open(os.path.join(rdir, "supervisor.log"), "wb"),
                           stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
    g = {"name": name, "run": rdir, "flavour": kernel["flavour"], "release": kernel["release"],
         "scenario": scenario, "mem": mem, "mem_bytes": mem_bytes, "accel": acc, "cpus": cpus, "cpu": argv[argv.index("-cpu") + 1],
         "supervisor_pid": sup.pid, "supervisor_start": None, "owner_pid": owner, "pid": None,
         "paths": p, "kernel": {k: kernel.get(k) for k in ("vmlinuz", "root", "modules", "config", "system_map",
                                               "headers_build")},
         "initrd": initrd, "started": time.time()}
    while g["supervisor_start"] is None and sup.poll() is None:
        g["supervisor_start"] = proc_start_time(sup.pid)
    write_atomic(os.path.join(rdir, "guest.json"), json.dumps(g, indent=1) + "\n")

    deadline = t0 + timeout
    uptime = None
    while True:
        if time.monotonic() > deadline:
            down(name, quiet=True)
            raise LabError(f"guest {name} ({kernel['flavour']}) not ready after {timeout:g} s; "
                           f"console.log tail:\n{console_tail(rdir)}")
        if sup.poll() is not None or os.path.exists(os.path.join(rdir, "exit.json")):
            why = "QEMU exited"
            try:
                why = open(os.path.join(rdir, "qemu.stdout")).read().strip().splitlines()[-1]
            except (OSError, IndexError):
                pass
            why = crash_hint(g) or why
            raise LabError(f"guest {name} ({kernel['flavour']}) died while booting: {why}; "
                           f"console.log tail:\n{console_tail(rdir)}")
        if g["pid"] is None:
            try:
                g["pid"] = int(open(os.path.join(rdir, "qemu.started")).read())
            except (OSError, ValueError):
                pass
        if uptime is None:
            uptime = truth.ready(p["truth"])
        if uptime is not None:
            try:
                if control.ping(p["ctl"], timeout=min(5.0, max(0.5, deadline - time.monotonic()))):
                    break
            except LabError:
                pass
        time.sleep(0.1)
    g["boot_seconds"] = round(time.monotonic() - t0, 2)
    g["guest_uptime_at_ready"] = uptime
    write_atomic(os.path.join(rdir, "guest.json"), json.dumps(g, indent=1) + "\n")
    sup.returncode = 0          # detached: never waited for, and no ResourceWarning
    log(f"lab: {name} up in {g['boot_seconds']:.1f} s ({kernel['flavour']} {kernel['release']}, "
        f"{scenario}, {mem}, {acc}; guest uptime {uptime:.1f} s)")
    return g


# --- down -------------------------------------------------------------------------

def _qemu_pid(g):
    for f in ("qemu.started", "qemu.pid"):
        try:
            return int(open(os.path.join(g["run"], f)).read())
        except (OSError, ValueError):
            pass
    return None


def _is_our_qemu(pid, g):
    try:
        return g["paths"]["qmp"].encode() in open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:
        return False


def down(name, quiet=False, timeout=10.0):
    g = load(name)
    sup, sup_start = g.get("supervisor_pid"), g.get("supervisor_start")
    if _alive(sup, sup_start):
        os.kill(sup, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(sup, sup_start) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(sup, sup_start):
            os.kill(sup, signal.SIGKILL)     # QEMU follows by its parent-death signal
    qpid = _qemu_pid(g)
    if qpid and _is_our_qemu(qpid, g):
        try:
            os.kill(qpid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 5
        while _is_our_qemu(qpid, g) and time.monotonic() < deadline:
            time.sleep(0.05)
    for f in ("mem", "qmp.sock", "ctl.sock"):
        try:
            os.unlink(os.path.join(g["run"], f))
        except OSError:
            pass
    if not os.path.exists(os.path.join(g["run"], "exit.json")):
        write_atomic(os.path.join(g["run"], "exit.json"),
                     json.dumps({"reason": "down", "qemu_status": None, "time": time.time()}) + "\n")
    if not quiet:
        log(f"lab: {name} down")


def status_rows():
    rows = []
    for n in names():
        try:
            g = load(n)
        except LabError:
            continue
        state = "up" if is_up(g) else "down"
        if state == "down":
            try:
                state = "down(" + json.load(open(os.path.join(g["run"], "exit.json")))["reason"] + ")"
            except (OSError, ValueError, KeyError):
                pass
        rows.append((n, state, g["flavour"], g["release"], g["scenario"], g["mem"],
                     str(g.get("pid") or "-"), g["run"]))
    return rows


# --- session ----------------------------------------------------------------------

def _prune_sessions(base):
    """Remove run roots of sessions that were killed (no `ended` mark).

    Their guests are already gone: their supervisors watched the session.
    Roots kept on purpose (failed CMD, --keep) carry `ended` and stay.
    """
    for d in os.listdir(base):
        path = os.path.join(base, d)
        try:
            rec = json.load(open(os.path.join(path, "session.json")))
        except (OSError, ValueError):
            continue
        if d.startswith("session-") and "ended" not in rec and not _alive(rec.get("pid"), rec.get("start")):
            shutil.rmtree(path, ignore_errors=True)


def session(cmd, keep=False):
    """Run CMD as the owner of a fresh run root; down its guests when it ends."""
    base = makedirs(run_root())
    _prune_sessions(base)
    root = tempfile.mkdtemp(prefix="session-", dir=base)
    write_atomic(os.path.join(root, "session.json"),
                 json.dumps({"pid": os.getpid(), "start": proc_start_time(os.getpid()), "cmd": cmd}) + "\n")
    env = dict(os.environ, CLOUDPROBE_LAB_OWNER=str(os.getpid()), CLOUDPROBE_LAB_RUN=root)
    os.environ["CLOUDPROBE_LAB_RUN"] = root
    try:
        child = subprocess.Popen(cmd, env=env)
    except OSError as e:
        raise LabError(f"session: cannot run {cmd[0]}: {e.strerror}")

    def forward(signum, frame):
        child.send_signal(signum)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, forward)
    rc = child.wait()
    for n in names():
        try:
            if is_up(load(n)):
                down(n, quiet=True)
        except LabError:
            pass
    if rc == 0 and not keep:
        shutil.rmtree(root, ignore_errors=True)
    else:
        rec = json.load(open(os.path.join(root, "session.json")))
        write_atomic(os.path.join(root, "session.json"), json.dumps(dict(rec, ended=time.time(), status=rc)) + "\n")
        log(f"lab: session run root kept: {root}")
    return rc if rc >= 0 else 128 - rc
