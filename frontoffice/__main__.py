"""``python -m frontoffice``: the same as the ``frontoffice`` command."""

import sys

from frontoffice.cli import main

sys.exit(main())
