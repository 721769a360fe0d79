"""Process limits for the batch grader: rlimits and Linux Landlock (via ctypes, no dependency).

Landlock (Linux >= 5.13, enabled in most distribution kernels) lets an unprivileged process
restrict ITSELF and all its future children: after :func:`landlock`, the process can read only
the listed folders (the Python installation, the mathdl package) and write only inside its work
folder; with Landlock ABI >= 4 it can neither connect nor bind TCP sockets; with ABI >= 6 it
cannot signal processes outside its domain (e.g. the grader).  The restriction cannot be lifted
by the process.  When Landlock is unavailable (older kernel, other OS, disabled LSM) the functions
report so and the grader falls back to verifying input hashes after each run.
"""

from __future__ import annotations

import ctypes
import os
import resource
import sys

_SYS_CREATE, _SYS_ADD_RULE, _SYS_RESTRICT = 444, 445, 446  # same numbers on every Linux arch
_PR_SET_NO_NEW_PRIVS = 38
_RULE_PATH_BENEATH = 1

FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_REMOVE_DIR, FS_REMOVE_FILE, FS_MAKE_CHAR, FS_MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
FS_MAKE_REG, FS_MAKE_SOCK, FS_MAKE_FIFO, FS_MAKE_BLOCK = 1 << 8, 1 << 9, 1 << 10, 1 << 11
FS_MAKE_SYM, FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 12, 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1 << 0, 1 << 1

READ = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
FILE_RIGHTS = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def landlock_abi() -> int:
    """The kernel's Landlock ABI version (0 when unavailable)."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        abi = _libc().syscall(_SYS_CREATE, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    except Exception:
        return 0
    return int(abi) if abi > 0 else 0


def _all_fs(abi: int) -> int:
    rights = (1 << 13) - 1            # ABI 1: EXECUTE .. MAKE_SYM
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


def landlock(read_paths, write_paths, *, deny_network: bool = True) -> str:
    """Restrict this process (and its future children) to reading ``read_paths`` and
    reading+writing ``write_paths``.  Returns a short description of what was applied, or of why
    nothing was (never raises: the caller decides what to do without it)."""
    abi = landlock_abi()
    if abi <= 0:
        return "landlock unavailable"
    libc = _libc()
    fs = _all_fs(abi)
    size = ctypes.sizeof(ctypes.c_uint64) * (1 + (abi >= 4) + (abi >= 6))
    attr = _RulesetAttr(handled_access_fs=fs,
                        handled_access_net=(NET_BIND_TCP | NET_CONNECT_TCP) if (abi >= 4 and deny_network) else 0,
                        scoped=(SCOPE_SIGNAL | SCOPE_ABSTRACT_UNIX) if abi >= 6 else 0)
    ruleset = libc.syscall(_SYS_CREATE, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return f"landlock_create_ruleset failed: {os.strerror(ctypes.get_errno())}"
    try:
        def add(path, rights):
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                return
            try:
                if not os.path.isdir(path):
                    rights &= FILE_RIGHTS
                rule = _PathBeneath(allowed_access=rights & fs, parent_fd=fd)
                libc.syscall(_SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH),
                             ctypes.byref(rule), ctypes.c_uint32(0))
            finally:
                os.close(fd)

        for p in read_paths:
            add(p, READ)
        for p in write_paths:
            add(p, fs)
        add("/dev/null", FS_READ_FILE | FS_WRITE_FILE)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return f"prctl(NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}"
        if libc.syscall(_SYS_RESTRICT, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            return f"landlock_restrict_self failed: {os.strerror(ctypes.get_errno())}"
    finally:
        os.close(ruleset)
    return f"landlock ABI {abi}" + (", no TCP" if abi >= 4 and deny_network else "")


SYSTEM_READ = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/proc", "/sys",
               "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/passwd",
               "/etc/group", "/etc/nsswitch.conf", "/etc/fonts", "/etc/mime.types", "/etc/matplotlibrc",
               "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/shm")


def runtime_read_paths(extra=()) -> list[str]:
    """What a Python process needs to read to run the book's notebooks: the interpreter with its
    packages, the mathdl package, system libraries and a few configuration files. Deliberately
    NOT: the current folder, the repository (book/ holds the solutions), the submissions, the
    instructor's extra checks, home folders, /etc as a whole, raw devices."""
    import mathdl
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    paths = set(prefixes) | {os.path.dirname(os.path.realpath(sys.executable)),
                             os.path.dirname(os.path.realpath(mathdl.__file__))}
    for p in sys.path:  # entries inside the interpreter's prefixes only (not '', not a repo root)
        real = os.path.realpath(p) if p else ""
        if real and any(real == q or real.startswith(q + os.sep) for q in prefixes):
            paths.add(real)
    paths.update(SYSTEM_READ)
    paths.update(extra)
    return sorted(os.path.realpath(p) for p in paths if os.path.exists(p))


def set_limits(memory_mb: float | None, file_mb: float | None = 64, cpu_s: float | None = None,
               nproc: int | None = None):
    """rlimits for this process: address space, size of any written file, CPU time, no core dumps."""
    def lim(which, value):
        try:
            soft, hard = resource.getrlimit(which)
            value = int(value)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, hard if hard != resource.RLIM_INFINITY else value))
        except (ValueError, OSError):
            pass
    if memory_mb:
        lim(resource.RLIMIT_AS, memory_mb * 2**20)
    if file_mb:
        lim(resource.RLIMIT_FSIZE, file_mb * 2**20)
    if cpu_s:
        lim(resource.RLIMIT_CPU, cpu_s)
    if nproc:
        lim(resource.RLIMIT_NPROC, nproc)
    lim(resource.RLIMIT_CORE, 0)
    import signal
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # oversize writes fail with EFBIG instead of killing
