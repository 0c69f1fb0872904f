"""Base error types shared across apps."""


class ShoplinkError(Exception):
    """Base class of every error the product raises on purpose."""


class ValidationFailed(ShoplinkError):
    """Input was rejected; ``message`` is safe to show to the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
