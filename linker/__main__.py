"""``python -m linker`` runs the ``linker`` command."""

import sys

from linker.cli import main

sys.exit(main())
