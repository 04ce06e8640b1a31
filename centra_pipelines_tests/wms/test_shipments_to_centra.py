"""A shipment from the WMS completes the order in Centra with its tracking number."""

import dagster as dg

from centra_pipelines.centra.client.errors import CentraMutationOutcomeUnknown
from centra_pipelines.centra.client.resource import CentraClient
from centra_pipelines.wms.shipments import wms_shipments_plan, wms_shipments_sent_to_centra
from centra_pipelines_tests.wms.helpers import metadata, sent_lines
from demo.wms_files import drop_shipment_file
from demo.wms_files import unshipped_order as demo_unshipped_order

ORDER_IN_CENTRA = """
query Shipped($number: Int!) {
  orders(where: {number: [$number]}) {
    status
    ... on DirectToConsumerOrder { shipments { trackingNumber isShipped } }
  }
}
"""


def unshipped_order(synced) -> tuple[int, list[tuple[str, int]]]:
    return demo_unshipped_order(synced.warehouse)


def run(wms) -> dg.ExecuteInProcessResult:
    synced, _, resources = wms
    synced.warehouse.close()
    return dg.materialize(
        [wms_shipments_plan, wms_shipments_sent_to_centra],
        resources=resources,
        instance=synced.instance,
        raise_on_error=False,
    )


def in_centra(synced, number: int) -> dict:
    return synced.client().execute(ORDER_IN_CENTRA, variables={"number": number})["orders"][0]


def test_a_wms_shipment_completes_the_order_with_its_tracking_number(wms):
    synced, folder, _ = wms
    number, lines = unshipped_order(synced)
    drop_shipment_file(folder, number, lines, "PN-000123")

    result = run(wms)

    assert result.success
    order = in_centra(synced, number)
    assert order["status"] == "SHIPPED"
    assert order["shipments"] == [{"trackingNumber": "PN-000123", "isShipped": True}]
    [line] = sent_lines(synced, result, "wms__shipments_sent_to_centra")
    assert line.startswith("shipments to centra: 1 sent, 0 unchanged, 0 failed (")
    assert metadata(run(wms), "wms__shipments_sent_to_centra")["sent"] == 0  # nothing twice


def test_a_failure_after_creating_completes_the_same_shipment_on_rerun(wms, monkeypatch):
    synced, folder, _ = wms
    number, lines = unshipped_order(synced)
    drop_shipment_file(folder, number, lines, "PN-000456")
    real_mutate = CentraClient.mutate

    def completion_unanswered(self, mutation, *, payload_field, **kwargs):
        if payload_field == "completeShipment":
            raise CentraMutationOutcomeUnknown(operation="completeShipment", reason="timed out")
        return real_mutate(self, mutation, payload_field=payload_field, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(CentraClient, "mutate", completion_unanswered)
        assert not run(wms).success

    assert run(wms).success
    shipments = in_centra(synced, number)["shipments"]
    assert shipments == [{"trackingNumber": "PN-000456", "isShipped": True}]


def test_a_sku_the_order_does_not_have_blocks_the_shipment(wms):
    synced, folder, _ = wms
    number, lines = unshipped_order(synced)
    drop_shipment_file(folder, number, [*lines, ("NOT-ON-THE-ORDER", 1)], "PN-000789")

    result = run(wms)

    check = result.get_asset_check_evaluations()[0]
    assert not check.passed and "NOT-ON-THE-ORDER" in check.metadata["reasons"].value
    assert in_centra(synced, number)["shipments"] == []
