"""``python -m momentum_lab``: the same as the ``momentum-lab`` command."""

from __future__ import annotations

import sys

from .cli import main

sys.exit(main())
