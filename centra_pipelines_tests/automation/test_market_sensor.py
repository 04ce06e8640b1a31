"""A market Centra has and the partitions lack becomes a partition, and its data is synced."""

from centra_pipelines.centra.automation.market_sensor import SENSOR_NAME
from centra_pipelines.models.partitions import market_partitions


def test_a_missing_market_is_added_as_a_partition(synced):
    synced.instance.delete_dynamic_partition(market_partitions.name, "3")

    tick = synced.driver.tick(SENSOR_NAME)

    assert "3" in synced.instance.get_dynamic_partitions(market_partitions.name)
    assert [request.job_name for request in tick.run_requests] == ["centra_reference_sync"]
    assert tick.failed_run_ids == []
    assert synced.driver.tick(SENSOR_NAME).skip_reason.startswith("no new markets")
