"""`python -m sos_docs` runs the command line."""

import gc

# Paused while the command line loads (sos_docs.loading); main() starts it again.
gc.disable()

from sos_docs.cli import main  # noqa: E402

main()
