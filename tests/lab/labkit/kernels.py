"""Debian kernels for the lab: resolve, download, unpack, describe.

Each flavour in kernels.conf resolves, through its suite's metapackage, to
one release.  The packages are fetched with `apt-get download` against a
private apt state per suite ($CACHE/apt/SUITE) and unpacked with `dpkg -x`
into $CACHE/kernels/RELEASE/root, which is kept whole (modules, config,
System.map) for later use.  $CACHE/kernels/FLAVOUR.json records the
resolution, so a second `lab fetch` touches no network.

Not for: building initramfs images or booting.
"""
import configparser
import glob
import json
import os
import re
import shutil

from .common import LabError, LAB_DIR, cache_dir, log, makedirs, run, write_atomic

CONF = os.path.join(LAB_DIR, "kernels.conf")


def load_conf():
    cp = configparser.ConfigParser(interpolation=None)
    if not cp.read(CONF):
        raise LabError(f"kernel set {CONF} missing")
    suites, flavours = {}, {}
    for sec in cp.sections():
        kind, _, name = sec.partition(":")
        if kind == "suite":
            suites[name] = [l.strip() for l in cp[sec]["sources"].splitlines() if l.strip()]
        elif kind == "flavour":
            flavours[name] = dict(cp[sec], name=name)
    for f in flavours.values():
        if f.get("suite") not in suites:
            raise LabError(f"kernels.conf: flavour {f['name']} names unknown suite {f.get('suite')}")
    return suites, flavours


def default_flavour():
    _, flavours = load_conf()
    for name, f in flavours.items():
        if f.get("default", "").lower() in ("yes", "true", "1"):
            return name
    return next(iter(flavours))


def qemu_cpu(name):
    """The flavour's QEMU -cpu model for TCG, if kernels.conf sets one."""
    return load_conf()[1].get(name, {}).get("qemu_cpu")


def flavour_names():
    return list(load_conf()[1])


def _apt_dirs(suite):
    base = os.path.join(cache_dir(), "apt", suite)
    d = {k: os.path.join(base, k) for k in ("sources.list.d", "preferences.d", "lists", "cache")}
    for p in d.values():
        makedirs(p)
    makedirs(os.path.join(d["lists"], "partial"))
    makedirs(os.path.join(d["cache"], "archives", "partial"))
    d["sources.list"] = os.path.join(base, "sources.list")
    return d


def _apt_opts(suite):
    d = _apt_dirs(suite)
    return ["-o", f"Dir::Etc::sourcelist={d['sources.list']}",
            "-o", f"Dir::Etc::sourceparts={d['sources.list.d']}",
            "-o", f"Dir::Etc::preferencesparts={d['preferences.d']}",
            "-o", "Dir::Etc::preferences=/dev/null",
            "-o", f"Dir::State::Lists={d['lists']}",
            "-o", f"Dir::Cache={d['cache']}",
            "-o", "APT::Sandbox::User=root",
            "-o", "Debug::NoLocking=1", "-q"]


def apt_update(suite, sources):
    d = _apt_dirs(suite)
    write_atomic(d["sources.list"], "\n".join(sources) + "\n")
    log(f"lab: apt-get update ({suite})")
    run(["apt-get", *_apt_opts(suite), "update"], f"apt-get update for suite {suite}")


def _depends(suite, pkg):
    """Names of PKG's candidate Depends/PreDepends (first of each alternative)."""
    out = run(["apt-cache", *_apt_opts(suite), "depends", pkg], f"apt-cache depends {pkg} ({suite})")
    deps = []
    for line in out.splitlines():
        m = re.match(r"^\s*\|?(?:Pre)?Depends: (\S+)", line)
        if m and not m.group(1).startswith("<"):
            deps.append(m.group(1))
    return deps


def _candidate_version(suite, pkg):
    out = run(["apt-cache", *_apt_opts(suite), "policy", pkg], f"apt-cache policy {pkg} ({suite})")
    m = re.search(r"Candidate: (\S+)", out)
    if not m or m.group(1) == "(none)":
        raise LabError(f"package {pkg} has no candidate in suite {suite}")
    return m.group(1)


def resolve(flavour, suites):
    """Newest release of a flavour, via its metapackage's candidate dependencies."""
    suite = flavour["suite"]
    deps = _depends(suite, flavour["meta"])
    images = [d for d in deps if re.match(flavour["image"], d)]
    if not images:
        raise LabError(f"flavour {flavour['name']}: {flavour['meta']} in {suite} depends on no "
                       f"package matching {flavour['image']} (got {', '.join(deps) or 'nothing'})")
    image = images[0]
    release = image[len("linux-image-"):]
    # The image package plus its same-release dependencies (7.x: linux-binary,
    # linux-modules, linux-base), followed transitively.
    pkgs, todo = [], [image]
    while todo:
        p = todo.pop()
        if p in pkgs:
            continue
        pkgs.append(p)
        todo += [d for d in _depends(suite, p) if d.endswith("-" + release) and d not in pkgs]
    return {"flavour": flavour["name"], "suite": suite, "release": release, "package": image,
            "version": _candidate_version(suite, image), "packages": sorted(pkgs)}


def _kernel_dir(release):
    return os.path.join(cache_dir(), "kernels", release)


def _record_path(name):
    return os.path.join(cache_dir(), "kernels", name + ".json")


def _find_vmlinuz(root, release):
    for rel in (f"boot/vmlinuz-{release}", f"usr/lib/modules/{release}/vmlinuz",
                f"lib/modules/{release}/vmlinuz"):
        p = os.path.join(root, rel)
        if os.path.isfile(p):
            return p
    return None


def _modules_dir(root, release):
    for rel in (f"usr/lib/modules/{release}", f"lib/modules/{release}"):
        p = os.path.join(root, rel)
        if os.path.isdir(p):
            return p
    return None


def describe(rec):
    """Add the unpacked tree's paths to a resolution record."""
    root = os.path.join(_kernel_dir(rec["release"]), "root")
    rec = dict(rec, root=root, vmlinuz=_find_vmlinuz(root, rec["release"]),
               modules=_modules_dir(root, rec["release"]))
    hdr = os.path.join(root, "usr", "src", f"linux-headers-{rec['release']}")
    rec["headers_build"] = hdr if os.path.isfile(os.path.join(hdr, "Makefile")) else None
    mdir = rec["modules"] or ""
    for key, name in (("config", "config"), ("system_map", "System.map")):
        cands = [os.path.join(root, "boot", f"{name}-{rec['release']}"), os.path.join(mdir, name)]
        rec[key] = next((c for c in cands if os.path.isfile(c)), None)
    return rec


def cached(name):
    """The resolution record of a fetched flavour, or None."""
    try:
        with open(_record_path(name)) as f:
            rec = json.load(f)
    except (OSError, ValueError):
        return None
    rec = describe(rec)
    return rec if rec["vmlinuz"] and os.path.exists(os.path.join(_kernel_dir(rec["release"]), ".complete")) else None


def _download_and_unpack(rec, extra_roots=()):
    kdir = makedirs(_kernel_dir(rec["release"]))
    debs = makedirs(os.path.join(kdir, "debs"))
    root = os.path.join(kdir, "root")
    want = list(rec["packages"]) + list(extra_roots)
    have = {os.path.basename(p).split("_")[0] for p in glob.glob(os.path.join(debs, "*.deb"))}
    missing = [p for p in want if p not in have]
    if missing:
        log(f"lab: downloading {' '.join(missing)}")
        run(["apt-get", *_apt_opts(rec["suite"]), "download", *missing],
            f"apt-get download for {rec['flavour']}", cwd=debs)
    tmp = root + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    makedirs(tmp)
    for deb in sorted(glob.glob(os.path.join(debs, "*.deb"))):
        run(["dpkg-deb", "-x", deb, tmp], f"dpkg -x {os.path.basename(deb)}")
    # Debian's header Makefiles include /usr/src/... by absolute path: point
    # them at the unpacked tree so `make -C HEADERS M=DIR` works uninstalled.
    for mk in glob.glob(os.path.join(tmp, "usr", "src", "linux-headers-*", "Makefile")):
        text = open(mk).read()
        fixed = re.sub(r"^include /usr/src/", f"include {root}/usr/src/", text, flags=re.M)
        if fixed != text:
            write_atomic(mk, fixed)
    shutil.rmtree(root, ignore_errors=True)
    os.replace(tmp, root)
    write_atomic(os.path.join(kdir, ".complete"), "")


def fetch(names, refresh=False, headers=False):
    """Make every named flavour bootable from the cache; return their records."""
    suites, flavours = load_conf()
    names = names or list(flavours)
    for n in names:
        if n not in flavours:
            raise LabError(f"unknown kernel flavour {n!r} (known: {', '.join(flavours)})")
    out, updated = [], set()
    for n in names:
        have = None if refresh else cached(n)
        if have and (not headers or have.get("headers")):
            out.append(have)
            continue
        fl = flavours[n]
        if fl["suite"] not in updated:
            apt_update(fl["suite"], suites[fl["suite"]])
            updated.add(fl["suite"])
        # Adding headers to a fetched flavour keeps its release.
        rec = resolve(fl, suites) if have is None else \
            {k: have[k] for k in ("flavour", "suite", "release", "package", "version", "packages")}
        extra = []
        if headers:
            # linux-headers-RELEASE plus its -common and linux-kbuild-* parts.
            todo = [f"linux-headers-{rec['release']}"]
            while todo:
                p = todo.pop()
                if p in extra:
                    continue
                extra.append(p)
                todo += [d for d in _depends(fl["suite"], p)
                         if re.match(r"^linux-(headers|kbuild)-", d) and d not in extra]
            rec["headers"] = sorted(extra)
        _download_and_unpack(rec, extra)
        rec = describe(rec)
        if not rec["vmlinuz"]:
            raise LabError(f"flavour {n}: no vmlinuz in {', '.join(rec['packages'])}")
        write_atomic(_record_path(n), json.dumps({k: rec[k] for k in
                     ("flavour", "suite", "release", "package", "version", "packages")
                     + (("headers",) if headers else ())}, indent=1) + "\n")
        log(f"lab: {n} -> {rec['release']} ({rec['version']})")
        out.append(rec)
    return out


def require(name):
    """The record of a flavour, fetching it first if needed."""
    name = name or default_flavour()
    rec = cached(name)
    if rec is None:
        rec = fetch([name])[0]
    return rec
