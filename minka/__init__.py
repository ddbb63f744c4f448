"""Minka: results-based territorial social management."""

import os

# Process settings for the analytics engine's arrays (minka/analytics/engine, ADR 0006).
# numpy asks the kernel for huge pages on large arrays; where the kernel then compacts
# memory on the first touch (transparent_hugepage/defrag = madvise, as on our machines),
# every fresh batch-sized array of the analytics engine stalls: a national refresh took
# 33 s with it and 29.5 s without. Must be set before numpy is imported (documented
# setting of numpy; an explicit value in the environment wins).
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
# Arrow's default allocator (mimalloc) kept the engine's freed batches: a national refresh
# grew to 4.4 GB with it and peaks at 3.6 GB with jemalloc. Read at Arrow's first
# allocation.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "jemalloc")
