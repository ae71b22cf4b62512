"""The `asyncdam` command line: emulators, demo and bulk jobs (see `asyncdam.cli.main`)."""
