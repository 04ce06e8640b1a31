"""Schedules and sensors built from the sync settings file when definitions load."""

import dagster as dg

from centra_pipelines.centra.automation.delta_sensor import orders_delta_sensor
from centra_pipelines.centra.automation.event_queue_sensor import event_queue_sensor
from centra_pipelines.centra.automation.market_sensor import market_sensor
from centra_pipelines.centra.automation.schedules import build_schedules
from centra_pipelines.centra.automation.webhook_sensor import WebhookInboxResource, webhook_sensor
from centra_pipelines.config.sync import SyncConfig, load_sync_config


def automation_definitions(config: SyncConfig | None = None) -> dg.Definitions:
    config = config or load_sync_config()
    sensors = config.sensors
    return dg.Definitions(
        schedules=build_schedules(config),
        sensors=[
            webhook_sensor(sensors.webhooks),
            event_queue_sensor(sensors.event_queue),
            orders_delta_sensor(sensors.orders_delta),
            market_sensor(sensors.markets),
        ],
        resources={"webhook_inbox": WebhookInboxResource()},
    )
