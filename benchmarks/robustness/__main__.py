"""``python -m benchmarks.robustness``: see ``benchmarks.robustness.run``."""

from benchmarks.robustness.run import main

raise SystemExit(main())
