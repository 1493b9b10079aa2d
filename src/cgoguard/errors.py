"""Errors that end a command with a clear message instead of a traceback."""


class CgoguardError(Exception):
    """A problem the user can fix (bad arguments, unreadable input, missing tool).

    The CLI prints the message and exits with :attr:`exit_code` (2: usage or input error).
    """

    exit_code = 2


class UsageError(CgoguardError):
    """Wrong arguments or configuration."""
