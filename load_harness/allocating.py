"""Memory that is really resident: allocated, every page written, and given back on release.

An anonymous `mmap` is used rather than a `bytearray`: both are filled by writing one byte per
page, but `close()` unmaps the region, so the RSS really falls when a job ends, whereas glibc may
keep a freed bytearray in its heap (its mmap threshold grows to 32 MiB after the first free).
"""

from __future__ import annotations

import mmap

PAGE_SIZE = mmap.PAGESIZE


def allocate_touched(*, size_bytes: int) -> mmap.mmap:
    """Map `size_bytes` of anonymous memory and write every page so it is resident."""
    region = mmap.mmap(-1, size_bytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    pages = len(range(0, size_bytes, PAGE_SIZE))
    with memoryview(region) as view:
        view[::PAGE_SIZE] = b"\x01" * pages
    return region
