"""``python -m devserver.mailcatcher``."""

from devserver.mailcatcher import main

if __name__ == "__main__":
    raise SystemExit(main())
