"""`python -m apidocs` is the `apidocs` command."""

import sys

from apidocs.cli import main

sys.exit(main())
