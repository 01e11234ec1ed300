"""The composition root: the one place where the packages are put together.

Everything below points one way (evaluation -> scheduler -> bot -> nlu -> flows -> safety -> content;
see the import-linter contracts in pyproject.toml). Only this package knows them all: it builds the
whole service (liaison/service.py) and the `liaison` command (liaison/cli.py).
"""
