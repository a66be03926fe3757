"""``python -m progress`` runs the same command line as the ``progress`` console script."""

from progress.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
