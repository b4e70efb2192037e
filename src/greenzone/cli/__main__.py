"""``python -m greenzone.cli``: the same as the ``greenzone`` command."""

from greenzone.cli import main

if __name__ == "__main__":
    main()
