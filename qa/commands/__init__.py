"""The larger `qa` subcommands, one module each (qa/cli.py holds the group and the small ones)."""
