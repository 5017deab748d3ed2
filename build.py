"""Run the packets command without installing it: `python build.py ARGS` is `packets ARGS`."""

from packets.cli import main

if __name__ == "__main__":
    main()
