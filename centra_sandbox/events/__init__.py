"""Centra's change notifications: the change feed and the event queue (digest §8)."""

from centra_sandbox.events.feed import Change, ChangeFeed
from centra_sandbox.events.types import EVENT_CHANGE_TYPES, EVENT_OBJECT_TYPES

__all__ = ["EVENT_CHANGE_TYPES", "EVENT_OBJECT_TYPES", "Change", "ChangeFeed"]
