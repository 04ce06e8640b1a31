"""The emulated Webhook plugin (digest §9): settings, payload formats, signed delivery."""

from centra_sandbox.webhooks.dispatcher import Delivery, WebhookDispatcher
from centra_sandbox.webhooks.settings import WEBHOOK_MODES, WebhookSettings

__all__ = ["WEBHOOK_MODES", "Delivery", "WebhookDispatcher", "WebhookSettings"]
