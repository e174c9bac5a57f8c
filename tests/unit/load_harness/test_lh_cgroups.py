"""Container limits from cgroup v2, cgroup v1, or the machine, read from a fake cgroup root."""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import pytest

from load_harness.cgroups import CgroupUnreadable, read_limits

MIB = 1024 * 1024


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{text}\n")


def test_v2_quota_and_memory_limit_are_read(tmp_path: Path) -> None:
    write(tmp_path / "cpu.max", "150000 100000")
    write(tmp_path / "memory.max", str(768 * MIB))
    limits = read_limits(cgroup_root=tmp_path)
    assert (limits.cpu_quota_cores, limits.memory_limit_bytes, limits.source) == (
        min(1.5, float(os.cpu_count() or 1)),
        768 * MIB,
        "cgroup v2",
    )


def test_v2_without_limits_falls_back_to_the_machine(tmp_path: Path) -> None:
    write(tmp_path / "cpu.max", "max 100000")
    write(tmp_path / "memory.max", "max")
    limits = read_limits(cgroup_root=tmp_path)
    assert limits.cpu_quota_cores == float(os.cpu_count() or 1)
    assert limits.memory_limit_bytes == psutil.virtual_memory().total


def test_v1_quota_and_period_are_read(tmp_path: Path) -> None:
    write(tmp_path / "cpu,cpuacct" / "cpu.cfs_quota_us", "50000")
    write(tmp_path / "cpu,cpuacct" / "cpu.cfs_period_us", "100000")
    write(tmp_path / "memory" / "memory.limit_in_bytes", str(256 * MIB))
    limits = read_limits(cgroup_root=tmp_path)
    assert (limits.cpu_quota_cores, limits.memory_limit_bytes, limits.source) == (
        0.5,
        256 * MIB,
        "cgroup v1",
    )


def test_v1_unlimited_quota_and_huge_memory_limit_mean_the_machine(tmp_path: Path) -> None:
    write(tmp_path / "cpu" / "cpu.cfs_quota_us", "-1")
    write(tmp_path / "cpu" / "cpu.cfs_period_us", "100000")
    write(tmp_path / "memory" / "memory.limit_in_bytes", "9223372036854771712")
    limits = read_limits(cgroup_root=tmp_path)
    assert limits.cpu_quota_cores == float(os.cpu_count() or 1)
    assert limits.memory_limit_bytes == psutil.virtual_memory().total
    assert limits.source == "cgroup v1"


def test_no_cgroup_files_means_the_machine(tmp_path: Path) -> None:
    limits = read_limits(cgroup_root=tmp_path / "absent")
    assert (limits.cpu_quota_cores, limits.memory_limit_bytes, limits.source) == (
        float(os.cpu_count() or 1),
        psutil.virtual_memory().total,
        "machine",
    )


def test_quota_above_the_machine_is_capped_at_its_cores(tmp_path: Path) -> None:
    write(tmp_path / "cpu.max", "6400000 100000")
    assert read_limits(cgroup_root=tmp_path).cpu_quota_cores == float(os.cpu_count() or 1)


def test_garbage_in_a_limit_file_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path / "memory.max", "lots")
    with pytest.raises(CgroupUnreadable) as caught:
        read_limits(cgroup_root=tmp_path)
    assert str(caught.value) == f"{tmp_path / 'memory.max'} holds 'lots', not a number or 'max'"


def test_garbage_in_a_v1_quota_file_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path / "cpu" / "cpu.cfs_quota_us", "")
    write(tmp_path / "cpu" / "cpu.cfs_period_us", "100000")
    with pytest.raises(CgroupUnreadable) as caught:
        read_limits(cgroup_root=tmp_path)
    assert (
        str(caught.value)
        == f"{tmp_path / 'cpu' / 'cpu.cfs_quota_us'} holds '', not a number or 'max'"
    )
