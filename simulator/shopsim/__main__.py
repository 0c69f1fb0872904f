"""Allow `python -m shopsim serve ...`."""

from shopsim.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
