"""Centra sandbox: a local HTTP server speaking Centra's GraphQL Integration API.

It is an independent reading of Centra's documented API and shares no code with the
product's Centra client; tests meet the two only over HTTP.
"""

from centra_sandbox.config import PLANS, SandboxConfig
from centra_sandbox.errors import (
    SandboxConfigError,
    SandboxError,
    StoreError,
    WebhookFlushTimeout,
)
from centra_sandbox.events.types import EVENT_CHANGE_TYPES, EVENT_OBJECT_TYPES
from centra_sandbox.sandbox import Sandbox, start_sandbox
from centra_sandbox.server.faults import FAULT_RATES, Fault, FaultRates
from centra_sandbox.store.bad_records import BAD_RECORD_KINDS, BadRecord, CardData
from centra_sandbox.webhooks import Delivery, WebhookDispatcher, WebhookSettings

__all__ = [
    "BAD_RECORD_KINDS",
    "EVENT_CHANGE_TYPES",
    "EVENT_OBJECT_TYPES",
    "FAULT_RATES",
    "PLANS",
    "BadRecord",
    "CardData",
    "Delivery",
    "Fault",
    "FaultRates",
    "Sandbox",
    "SandboxConfig",
    "SandboxConfigError",
    "SandboxError",
    "StoreError",
    "WebhookDispatcher",
    "WebhookFlushTimeout",
    "WebhookSettings",
    "start_sandbox",
]
