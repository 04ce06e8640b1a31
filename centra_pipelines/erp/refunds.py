"""Refunds from the warehouse to the ERP, as credit notes.

What becomes a credit note is the money Centra gave back: a payment entry of type REFUND or
REFUND_GIFT_CARD with status SUCCESS. An accountant issues a credit note when the amount the
customer owes is reduced, and that happens when the refund is made, not when goods come back:
a return still PENDING (goods on their way, possibly refused) reduces nothing yet, a return
settled by an exchange reduces nothing at all, and a goodwill or shipping refund reduces the
amount without any return. A refund entry also carries the amount actually refunded and the
rate of the day, where a return carries the value of the goods returned. REFUND_REQUEST and
REFUND_FAILED entries are not credits (yet); they reach the ERP as payment transactions only.

`config/mappings/erp/refunds.yaml` maps each refund into `erp.credit_notes`, where the ERP gives
it its own number (CN-000001).
"""

import dagster as dg

from centra_pipelines.centra import tables
from centra_pipelines.erp.flows import RowFlow, build_row_flow
from centra_pipelines.mapping import load_mappings

CREDITED = "entry_type IN ('REFUND', 'REFUND_GIFT_CARD') AND status = 'SUCCESS'"

CREDIT_NOTES = RowFlow(
    entity="credit_notes",
    what="refunds",
    source=tables.payments.spec,
    source_key="payment_id",
    where=CREDITED,
    mapping=load_mappings()["erp", "refunds", "to_system"],
    erp_table="erp.credit_notes",
    deps=(dg.AssetKey(["centra", "payments"]),),
    preview_columns=(
        "external_id",
        "order_external_id",
        "credit_date",
        "amount",
        "currency",
        "amount_base",
    ),
)

erp_credit_notes_plan, erp_credit_notes_sent_to_erp = build_row_flow(CREDIT_NOTES)
