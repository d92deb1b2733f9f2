"""``python -m bench``: run the benchmarks and print the table."""

from __future__ import annotations

from bench.run import main

raise SystemExit(main())
