"""The package version, read by the build backend and the default User-Agent."""

__version__ = "0.1.0"
