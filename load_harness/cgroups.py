"""How much CPU and memory this container may use, read from its cgroup files.

The harness must never ask for more than its container is given: more busy workers than the CPU
quota only adds throttling, and more memory than the limit gets the pod OOM-killed. cgroup v2
(`cpu.max`, `memory.max`) is tried first, then v1 (`cpu.cfs_quota_us` / `cpu.cfs_period_us`,
`memory.limit_in_bytes`), then the machine's own figures. The root is a parameter so tests can
point it at a directory of fake cgroup files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import psutil

V1_CPU_DIRS = ("cpu", "cpu,cpuacct", "cpuacct,cpu")


@dataclass(frozen=True, kw_only=True)
class ContainerLimits:
    """The CPU quota in cores and the memory limit in bytes that apply to this process."""

    cpu_quota_cores: float
    memory_limit_bytes: int
    source: str


def read_limits(*, cgroup_root: Path) -> ContainerLimits:
    """Read the container's CPU and memory limits, falling back to the machine's size."""
    machine_cores = float(os.cpu_count() or 1)
    machine_bytes = psutil.virtual_memory().total
    v2_cpu = _read_v2_cpu(root=cgroup_root)
    v2_memory = _read_v2_memory(root=cgroup_root)
    if v2_cpu is not None or v2_memory is not None:
        source = "cgroup v2"
        cpu, memory = v2_cpu, v2_memory
    else:
        v1_cpu, v1_memory = _read_v1_cpu(root=cgroup_root), _read_v1_memory(root=cgroup_root)
        source = "cgroup v1" if v1_cpu is not None or v1_memory is not None else "machine"
        cpu, memory = v1_cpu, v1_memory
    return ContainerLimits(
        cpu_quota_cores=min(cpu, machine_cores) if cpu is not None else machine_cores,
        memory_limit_bytes=min(memory, machine_bytes) if memory is not None else machine_bytes,
        source=source,
    )


class CgroupUnreadable(ValueError):
    """A cgroup limit file exists but does not hold what the kernel writes there."""


def _read_int(path: Path, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise CgroupUnreadable(f"{path} holds {text[:40]!r}, not a number or 'max'") from None


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except (FileNotFoundError, NotADirectoryError, PermissionError):
        return None


def _read_v2_cpu(*, root: Path) -> float | None:
    text = _read_text(root / "cpu.max")
    if text is None:
        return None
    path = root / "cpu.max"
    quota, _, period = text.partition(" ")
    if quota == "max":
        return None
    return _read_int(path, quota) / max(1, _read_int(path, period or "100000"))


def _read_v2_memory(*, root: Path) -> int | None:
    text = _read_text(root / "memory.max")
    if text is None or text == "max":
        return None
    return _read_int(root / "memory.max", text)


def _read_v1_cpu(*, root: Path) -> float | None:
    for name in V1_CPU_DIRS:
        quota_path, period_path = (
            root / name / "cpu.cfs_quota_us",
            root / name / "cpu.cfs_period_us",
        )
        quota, period = _read_text(quota_path), _read_text(period_path)
        if quota is not None and period is not None:
            quota_us = _read_int(quota_path, quota)
            return None if quota_us <= 0 else quota_us / max(1, _read_int(period_path, period))
    return None


def _read_v1_memory(*, root: Path) -> int | None:
    path = root / "memory" / "memory.limit_in_bytes"
    text = _read_text(path)
    return None if text is None else _read_int(path, text)
