"""CPU time per process group from /proc, for the end-to-end benchmark's cost accounting.

Each group is either explicit pids (the api and inference started by the benchmark) or every
process whose command name matches (PostgreSQL backends come and go, RabbitMQ is one beam.smp).
A process that exits between two samples loses its last slice; the benchmark's services keep
their connections open, so that is rare.
"""
import os

TICK = os.sysconf("SC_CLK_TCK")

# Command names (field 2 of /proc/<pid>/stat) of the shared infrastructure.
SERVICES = {
    "postgresql": ("postgres",),
    "redis": ("redis-server",),
    "rabbitmq": ("beam.smp", "erl_child_setup", "inet_gethost", "epmd"),
}


def _stat(pid):
    """(comm, parent pid, CPU seconds of the process and its threads) or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    # comm may contain spaces or parentheses: split around the last ')'.
    comm = raw[raw.index("(") + 1:raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2:].split()
    ppid = int(fields[1])
    utime, stime = int(fields[11]), int(fields[12])
    return comm, ppid, (utime + stime) / TICK


def machine():
    """(busy seconds, total seconds) over all cores since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        parts = [int(v) for v in f.readline().split()[1:]]
    idle = parts[3] + parts[4]  # idle + iowait
    total = sum(parts[:8])  # guest time is already inside user time
    return (total - idle) / TICK, total / TICK


def sample(pids):
    """CPU seconds so far per group: `pids` maps a group name to one pid (its children count
    too); the SERVICES groups are found by command name."""
    procs = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st:
                procs[int(entry)] = st
    out = {name: 0.0 for name in list(pids) + list(SERVICES)}
    owner = {pid: name for name, pid in pids.items()}
    for pid, (comm, ppid, cpu) in procs.items():
        name = owner.get(pid) or owner.get(ppid)
        if name is None:
            name = next((g for g, comms in SERVICES.items() if comm in comms), None)
        if name is not None:
            out[name] += cpu
    return out


def threads(pid):
    """CPU seconds of one process's threads, grouped by thread name without trailing digits
    and dashes (vision-0 and vision-1 count as "vision")."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        st = _stat(f"{pid}/task/{tid}")
        if st:
            name = st[0].rstrip("0123456789").rstrip("-_ ") or st[0]
            out[name] = out.get(name, 0.0) + st[2]
    return out


def delta(before, after):
    """Per-group CPU seconds spent between two samples."""
    keys = set(before) | set(after)
    return {k: max(0.0, after.get(k, 0.0) - before.get(k, 0.0)) for k in keys}
