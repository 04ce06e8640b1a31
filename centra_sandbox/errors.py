"""Exception types of the sandbox, each with a message that says what to do."""


class SandboxError(Exception):
    """Base class of every error the sandbox raises on purpose."""


class SandboxConfigError(SandboxError):
    """The sandbox configuration is invalid; the message names the setting to fix."""


class StoreError(SandboxError):
    """The sandbox store was asked for something it does not hold."""


class WebhookFlushTimeout(SandboxError):
    """Webhook calls were still queued or in flight when `flush()` gave up waiting."""
