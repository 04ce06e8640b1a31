"""What every alerting sensor shares: its memory between ticks, and delivery that never repeats.

A sensor's cursor holds what its detector has seen (so an episode alerts once) and the alerts a
channel still owes. Dagster stores the cursor with the sensor's state, so a daemon restart neither
forgets an episode nor sends an alert again. An alert leaves a channel's list only once that
channel took it; a channel that fails is tried again on the next tick, and the channels that took
the alert are not sent it twice.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import dagster as dg

from centra_pipelines.alerting.alerts import Alert, Links
from centra_pipelines.alerting.channels import Channels, DeliveryError, configured_channels
from centra_pipelines.config.alerting import ChannelSettings, SensorSettings

# Alerts kept for a channel that stays down. Past this, the oldest are dropped (and logged), so a
# channel down for days cannot grow the cursor without bound.
MAX_PENDING = 200


@dataclass
class Pending:
    """An alert, and the channels that have not taken it yet."""

    alert: Alert
    owed: list[str]
    failures: int = 0


@dataclass
class Memory:
    """A sensor's cursor: what its detector has seen, and alerts still owed to some channel."""

    seen: dict = field(default_factory=dict)
    pending: list[Pending] = field(default_factory=list)

    @classmethod
    def load(cls, cursor: str | None) -> "Memory":
        if not cursor:
            return cls()
        data = json.loads(cursor)
        pending = [
            Pending(Alert.from_json(item["alert"]), list(item["owed"]), item.get("failures", 0))
            for item in data.get("pending", [])
        ]
        return cls(seen=data.get("seen", {}), pending=pending)

    def dump(self) -> str:
        pending = [
            {"alert": item.alert.to_json(), "owed": item.owed, "failures": item.failures}
            for item in self.pending
        ]
        return json.dumps({"seen": self.seen, "pending": pending}, sort_keys=True)


@dataclass
class Detection:
    """What one tick found: new alerts, what to remember, and a line for the tick's history."""

    alerts: list[Alert]
    seen: dict
    summary: str


Detector = Callable[[dg.SensorEvaluationContext, dict, datetime, Links], Detection]


@dataclass(frozen=True)
class AlertSensor:
    """A sensor that detects episodes with `detect` and delivers their alerts once each."""

    name: str
    description: str
    settings: SensorSettings
    channels: ChannelSettings
    detect: Detector

    def definition(self) -> dg.SensorDefinition:
        @dg.sensor(
            name=self.name,
            minimum_interval_seconds=self.settings.interval_seconds,
            default_status=(
                dg.DefaultSensorStatus.RUNNING
                if self.settings.enabled
                else dg.DefaultSensorStatus.STOPPED
            ),
            description=self.description,
        )
        def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
            return self.evaluate(context, now=datetime.now(UTC))

        return _sensor

    def evaluate(self, context: dg.SensorEvaluationContext, *, now: datetime) -> dg.SensorResult:
        """One tick at `now`: detect, raise what is new, deliver what is owed."""
        channels = configured_channels(self.channels)
        memory = Memory.load(context.cursor)
        location = context.code_location_origin
        links = Links(channels.dagster_url, location.location_name if location else None)

        detection = self.detect(context, memory.seen, now, links)

        memory.seen = detection.seen
        _raise(context, memory, detection.alerts, channels)
        delivered = deliver(context, memory, channels)
        return dg.SensorResult(
            skip_reason=_summary(detection, delivered, memory), cursor=memory.dump()
        )


def _raise(
    context: dg.SensorEvaluationContext, memory: Memory, alerts: list[Alert], channels: Channels
) -> None:
    # The log is the channel that is always there: with none configured, it is the only one.
    for alert in alerts:
        context.log.error("ALERT %s\n%s", alert.key, alert.text())
        if channels.names:
            memory.pending.append(Pending(alert, channels.names))

    overflow = len(memory.pending) - MAX_PENDING
    if overflow > 0:
        dropped, memory.pending = memory.pending[:overflow], memory.pending[overflow:]
        context.log.error(
            "dropped %d undelivered alerts, the oldest (%s); each was logged in full by the tick "
            "that raised it. Fix the channel the delivery warnings name.",
            overflow,
            "; ".join(item.alert.title for item in dropped),
        )


def deliver(context: dg.SensorEvaluationContext, memory: Memory, channels: Channels) -> int:
    """Send every owed alert; returns how many deliveries succeeded.

    A channel that fails is not tried again in the same tick, which keeps a tick short while a
    channel is down; its alerts stay owed to it.
    """
    delivered = 0
    down: set[str] = set()
    for item in memory.pending:
        for name in list(item.owed):
            channel = channels.get(name)
            if channel is None:
                context.log.warning(
                    "alert %s was owed to %s, which is no longer configured; not sent there",
                    item.alert.key,
                    name,
                )
                item.owed.remove(name)
            elif name not in down:
                if _send(context, channel, item):
                    item.owed.remove(name)
                    delivered += 1
                else:
                    down.add(name)

    memory.pending = [item for item in memory.pending if item.owed]
    return delivered


def _send(context: dg.SensorEvaluationContext, channel, item: Pending) -> bool:
    try:
        channel.send(item.alert)
    except DeliveryError as error:
        item.failures += 1
        context.log.warning(
            "alert %s (%s) not delivered to %s: %s. It stays owed and is sent on the next tick "
            "(failed %d times so far); check the %s settings in docs/alerting.md if this repeats.",
            item.alert.key,
            item.alert.title,
            channel.name,
            error,
            item.failures,
            channel.name,
        )
        return False

    context.log.info("alert %s delivered to %s", item.alert.key, channel.name)
    return True


def _summary(detection: Detection, delivered: int, memory: Memory) -> str:
    parts = [detection.summary]
    if detection.alerts:
        parts.append(f"alerts raised: {len(detection.alerts)}")
    if delivered:
        parts.append(f"deliveries made: {delivered}")
    if memory.pending:
        owed = sorted({name for item in memory.pending for name in item.owed})
        parts.append(f"alerts waiting for {', '.join(owed)}: {len(memory.pending)}")
    return "; ".join(parts)
