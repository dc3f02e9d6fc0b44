"""``python -m hpo_queue``: the same command line as the ``hpo-queue`` script."""

from __future__ import annotations

import sys

from hpo_queue.cli import main

if __name__ == "__main__":
    sys.exit(main())
