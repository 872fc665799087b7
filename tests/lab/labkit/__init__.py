"""labkit: the guest lab behind tests/lab/lab.

One module per concept: common (paths, errors), kernels (Debian kernel
packages), initramfs (cpio writer and scenario builds), qmp (QEMU monitor
client), control (the ctl.sock request/reply channel), truth (the guest's
framed self-report), guests (boot, supervise, tear down), kvm (the cached
KVM trial).  Python 3 stdlib only.
"""
