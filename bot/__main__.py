"""`python -m bot`, the same as the `coachbot` command."""

import sys

from bot.entry import main

sys.exit(main())
