"""Payments from the warehouse to the ERP: every payment history entry of every order.

The ERP reconciles its bank and PSP statements against these transactions, so each entry goes
over as it is (authorisations, captures, refunds, cancellations, with status), mapped by
`config/mappings/erp/payments.yaml` into `erp.payments`. The warehouse strips card data and raw
PSP payloads before it stores an entry (contracts/card_data.py), so none can reach the ERP.
"""

import dagster as dg

from centra_pipelines.centra import tables
from centra_pipelines.erp.flows import RowFlow, build_row_flow
from centra_pipelines.mapping import load_mappings

PAYMENTS = RowFlow(
    entity="payments",
    what="payments",
    source=tables.payments.spec,
    source_key="payment_id",
    where="TRUE",
    mapping=load_mappings()["erp", "payments", "to_system"],
    erp_table="erp.payments",
    deps=(dg.AssetKey(["centra", "payments"]),),
    preview_columns=(
        "external_id",
        "order_external_id",
        "transaction_type",
        "status",
        "amount",
        "currency",
        "amount_base",
    ),
)

erp_payments_plan, erp_payments_sent_to_erp = build_row_flow(PAYMENTS)
