"""The one kind of error a user can cause, and how it reads."""


class UserError(Exception):
    """A problem the user can fix: what is wrong, and what to do about it.

    The task layer prints it as one line and exits non-zero; no traceback.
    """

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message
