"""``python -m recurrent_zoo`` runs the ``recurrent-zoo`` command."""

import sys

from .cli import main

sys.exit(main())
