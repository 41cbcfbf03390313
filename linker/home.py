"""Where linker keeps what outlives a run (the default trained models, the default store).

``$LINKER_HOME`` when set (the test suite pins it to a temporary directory), else the per-user
data directory (``platformdirs.user_data_dir("linker")``: ``~/.local/share/linker`` on Linux,
``$XDG_DATA_HOME/linker`` when that is set). Never the working directory: a run started
outside the repository must find the same model as one started inside it.
"""

from __future__ import annotations

import os
from pathlib import Path


def linker_home() -> Path:
    """The directory of linker's per-user data (module docstring)."""
    home = os.environ.get("LINKER_HOME")
    if home:
        return Path(home)
    from platformdirs import user_data_dir

    return Path(user_data_dir("linker", appauthor=False))
