"""`python -m sos_docs` and the `sos-docs` script (its entry point, `main`) run the command line."""

import gc


def main() -> None:
    """Load the command line with the collector paused (sos_docs.loading), then run it."""
    gc.disable()  # the command line's own main() starts it again, once its modules are loaded
    try:
        from sos_docs.cli import main as run_command_line
    except BaseException:
        gc.enable()
        raise
    run_command_line()


__all__ = ["main"]

if __name__ == "__main__":
    main()
