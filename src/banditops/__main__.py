"""``python -m banditops`` runs the command-line interface."""

from banditops.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
