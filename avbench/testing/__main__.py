"""``python -m avbench.testing [NAME ...]``: the same as ``avbench check``."""

import sys

from .cli import main

sys.exit(main())
