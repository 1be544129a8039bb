"""`python -m sos_docs` and the `sos-docs` script (its entry point, `main`) run the command line."""

import gc

# Paused while the command line loads (sos_docs.loading); main() starts it again. The script
# imports this module for `main`, so it loads as `python -m sos_docs` does.
gc.disable()

from sos_docs.cli import main  # noqa: E402

__all__ = ["main"]

if __name__ == "__main__":
    main()
