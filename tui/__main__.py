"""`python -m tui` is the same as `ftdeck`."""

from tui.cli import main

raise SystemExit(main())
