"""Entry point of the background dispatcher: `python -m tooling.local.background --root R --env E`.

A module of its own so that `-m` does not re-import `tooling.local.dispatch`, which the package imports.
"""

from __future__ import annotations

import sys

from tooling.local.dispatch import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
