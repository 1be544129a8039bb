"""`python -m sos_docs` runs the command line."""

from sos_docs.cli import main

main()
