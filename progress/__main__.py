"""``python -m progress`` runs the same command line as the ``progress`` console script."""

from progress.cli import main

raise SystemExit(main())
