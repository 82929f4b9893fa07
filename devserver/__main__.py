"""``python -m devserver`` (what ``make run`` runs): see devserver.stack."""

from devserver.stack import run

if __name__ == "__main__":
    raise SystemExit(run())
