"""Support tickets to Centra, step one: read the changed tickets and plan a note for each.

`support/tickets_plan` asks the help desk for tickets changed since the high-water mark (minus an
overlap), maps each with `config/mappings/support/tickets.yaml` and resolves what it concerns in
the warehouse: the order by number (`centra_raw.orders`), else the customer by e-mail
(`centra_raw.customers`). Each resolved ticket becomes one planned change in the outbox, its line
for the notes block (support/notes.py). A ticket that cannot be resolved is held: it fails the
blocking check of the run that first meets it, so nothing is sent in that run, and every later
run tries it again until its order or customer is synced or the ticket changes.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import dagster as dg

from centra_pipelines.centra import tables
from centra_pipelines.centra.assets.sync import asset_key
from centra_pipelines.connectors.rest import RestApiClient
from centra_pipelines.mapping import MappedRecord, apply, load_mappings
from centra_pipelines.outbound.assets import plan_asset
from centra_pipelines.outbound.outbox import PENDING, REJECTED, Change, Outbox, Planned
from centra_pipelines.support.notes import entry_of
from centra_pipelines.support.state import SupportState
from centra_pipelines.warehouse import DuckDBWarehouse

TARGET, ENTITY = "centra", "support_tickets"
SOURCE = "helpdesk_tickets"
TICKETS_PATH = "/api/v1/tickets"
PAGE_SIZE = 100
PLAN_CHECK = "every_ticket_planned"
PREVIEW_ROWS = 20

# The desk stamps a ticket when it changes but may commit it a moment later, after a reader has
# already passed that time. Reading again from this far back catches such tickets; tickets read
# twice are counted unchanged by the outbox, so the overlap costs nothing in Centra.
OVERLAP = timedelta(minutes=10)

TICKET_MAPPING = load_mappings()["support", "tickets", "to_centra"]


@dataclass
class TicketPlan:
    """What one planning run read and decided."""

    fetched: int = 0
    retried: int = 0
    planned: list[Planned] = field(default_factory=list)
    unchanged: int = 0
    newly_held: list[Change] = field(default_factory=list)
    still_held: int = 0
    released: set[str] = field(default_factory=set)
    mark: datetime | None = None

    def with_status(self, status: str) -> list[Planned]:
        return [planned for planned in self.planned if planned.status == status]


@plan_asset(
    ["support", "tickets_plan"],
    deps=[asset_key(tables.orders), asset_key(tables.customers)],
    check="Every ticket read names an order or customer the warehouse knows; when not, nothing "
    "is sent to Centra in this run and the ticket is held.",
    check_name=PLAN_CHECK,
    description="Help-desk tickets planned as notes on their Centra order or customer (dry run).",
)
def support_tickets_plan(
    context: dg.AssetExecutionContext, support_api: RestApiClient, warehouse: DuckDBWarehouse
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    state = SupportState(warehouse)
    since = state.read_from(SOURCE, OVERLAP)
    fetched = _fetch(support_api, since)
    if not fetched:
        context.log.warning("no ticket changed in the help desk since %s", since or "the start")

    plan = _plan(context.run.run_id, warehouse, state, fetched)
    # The mark moves only after the plan is committed: a crash in between rereads those tickets,
    # which the outbox then counts as unchanged.
    state.save(
        SOURCE,
        mark=plan.mark,
        held={c.record_key: (c.payload["ticket"], c.reason) for c in plan.newly_held},
        released=plan.released,
        run_id=context.run.run_id,
    )

    context.log.info(
        "%d tickets read since %s, %d held ones retried: %d would be sent, %d unchanged, "
        "%d newly held, %d still held",
        plan.fetched,
        since or "the start",
        plan.retried,
        len(plan.with_status(PENDING)),
        plan.unchanged,
        len(plan.newly_held),
        plan.still_held,
    )
    yield dg.MaterializeResult(metadata=_metadata(plan, since))
    yield _check(plan)


def _fetch(support_api: RestApiClient, since: datetime | None) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"limit": PAGE_SIZE}
    if since is not None:
        params["updated_since"] = since.isoformat()
    return list(support_api.get_items(TICKETS_PATH, params))


def _plan(
    run_id: str, warehouse: DuckDBWarehouse, state: SupportState, fetched: list[dict]
) -> TicketPlan:
    held = state.held()
    fetched_ids = {str(ticket.get("id")) for ticket in fetched}
    retried = [ticket for ticket_id, ticket in held.items() if ticket_id not in fetched_ids]
    read = [(ticket, apply(TICKET_MAPPING, ticket)) for ticket in fetched]
    again = [(ticket, apply(TICKET_MAPPING, ticket)) for ticket in retried]
    resolver = Resolver.for_tickets(warehouse, [mapped.values for _, mapped in read + again])

    plan = TicketPlan(fetched=len(fetched), retried=len(retried))
    read_changes = [_change_of(ticket, mapped, resolver) for ticket, mapped in read]
    times = [c.payload["updated_at"] for c in read_changes if c.payload["updated_at"]]
    plan.mark = datetime.fromisoformat(max(times)) if times else None

    changes = []
    for change in read_changes + [_change_of(t, mapped, resolver) for t, mapped in again]:
        if not change.reason:
            changes.append(change)
        elif held.get(change.record_key) == change.payload["ticket"]:
            # Held before in this very state (a retry, or a reread in the overlap): it failed
            # the check when first read, and failing every run after would stop all tickets.
            plan.still_held += 1
        else:
            plan.newly_held.append(change)
            changes.append(change)

    plan.released = {change.record_key for change in changes if not change.reason}
    plan.planned, plan.unchanged = Outbox(warehouse).plan(changes, run_id)
    return plan


def _change_of(ticket: dict[str, Any], mapped: MappedRecord, resolver: "Resolver") -> Change:
    values = mapped.values
    ticket_id = str(values.get("ticket_id") or ticket.get("id") or "(no id)")
    updated = values.get("updated_at")
    payload: dict[str, Any] = {"ticket_id": ticket_id, "ticket": ticket}
    payload["updated_at"] = updated.isoformat() if updated else None

    reason = "; ".join(f"{p.field}: {p.reason}" for p in mapped.problems) or None
    if reason is None:
        target, reason = resolver.target_of(values)
        if target is not None:
            entry = entry_of(values)
            payload = {**payload, **target, "entry_time": entry.time, "entry": entry.line}
    if reason is None:
        # The raw ticket was only needed to hold it; the note alone decides what Centra gets.
        payload.pop("ticket")
    return Change(TARGET, ENTITY, ticket_id, payload, f"helpdesk:{ticket_id}", reason)


@dataclass
class Resolver:
    """The orders and customers of the warehouse that a batch of tickets names."""

    order_numbers: set[int]
    customer_ids: dict[str, int]

    @classmethod
    def for_tickets(cls, warehouse: DuckDBWarehouse, mapped: list[dict]) -> "Resolver":
        """Look up, in one query each, the orders and e-mails that the mapped tickets name."""
        numbers = sorted({v["order_number"] for v in mapped if v.get("order_number") is not None})
        emails = sorted({v["customer_email"] for v in mapped if v.get("customer_email")})
        return cls(_known_orders(warehouse, numbers), _customers_by_email(warehouse, emails))

    def target_of(self, values: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
        """The Centra object a ticket is noted on, or why there is none."""
        number, email = values.get("order_number"), values.get("customer_email")
        if number is not None:
            if number in self.order_numbers:
                return {"object_type": "Order", "object_id": number}, None
            # A ticket names the order it is about; noting it on the customer instead would
            # put it where nobody handling that order looks.
            return None, f"order {number} is not in the warehouse (centra_raw.orders)"
        if email:
            if email in self.customer_ids:
                return {"object_type": "Customer", "object_id": self.customer_ids[email]}, None
            return None, f"no customer with e-mail {_masked(email)} in centra_raw.customers"
        return None, "the ticket names neither an order number nor a customer e-mail"


def _known_orders(warehouse: DuckDBWarehouse, numbers: list[int]) -> set[int]:
    if not numbers or not warehouse.table_exists(tables.orders.spec):
        return set()
    rows = warehouse.fetch(
        f"SELECT order_number FROM {tables.orders.spec.qualified_name} "
        "WHERE list_contains(?, order_number)",
        [numbers],
    )
    return {row[0] for row in rows}


def _customers_by_email(warehouse: DuckDBWarehouse, emails: list[str]) -> dict[str, int]:
    """One customer per e-mail: an e-mail may belong to a registered and a guest customer, and
    the active one with the most orders is the one customer service works with."""
    if not emails or not warehouse.table_exists(tables.customers.spec):
        return {}
    rows = warehouse.fetch(
        f"SELECT lower(email), id FROM {tables.customers.spec.qualified_name} "
        "WHERE list_contains(?, lower(email)) "
        "ORDER BY status = 'ACTIVE' DESC, total_orders DESC NULLS LAST, id",
        [emails],
    )
    chosen: dict[str, int] = {}
    for email, customer_id in rows:
        chosen.setdefault(email, customer_id)
    return chosen


def _masked(email: str) -> str:
    # Reasons reach the check's metadata and the outbox, where an address is personal data.
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}"


def _metadata(plan: TicketPlan, since: datetime | None) -> dict[str, Any]:
    newest_first = sorted(
        plan.with_status(PENDING), key=lambda p: p.change.payload["updated_at"], reverse=True
    )
    preview = newest_first[:PREVIEW_ROWS]
    held = [Planned("", change, REJECTED, change.reason) for change in plan.newly_held]
    return {
        "read_since": since.isoformat() if since else "the start",
        "high_water": plan.mark.isoformat() if plan.mark else "unchanged",
        "fetched": plan.fetched,
        "retried": plan.retried,
        "would_send": len(plan.with_status(PENDING)),
        "unchanged": plan.unchanged,
        "held": len(plan.newly_held),
        "still_held": plan.still_held,
        "preview": dg.MetadataValue.md(_table(preview + held[:PREVIEW_ROWS])),
    }


def _check(plan: TicketPlan) -> dg.AssetCheckResult:
    reasons = [f"{change.record_key}: {change.reason}" for change in plan.newly_held[:10]]
    return dg.AssetCheckResult(
        check_name=PLAN_CHECK,
        passed=not plan.newly_held,
        metadata={
            "held": len(plan.newly_held),
            "still_held": plan.still_held,
            "reasons": "; ".join(reasons) or "none",
        },
    )


def _table(planned: list[Planned]) -> str:
    lines = ["| ticket | noted on | entry | reason |", "|---|---|---|---|"]
    for item in planned:
        payload = item.change.payload
        on = f"{payload['object_type']} {payload['object_id']}" if "object_id" in payload else ""
        entry = str(payload.get("entry", "")).removeprefix("* ").replace("|", "/")
        lines.append(f"| {item.change.record_key} | {on} | {entry} | {item.reason or ''} |")
    return "\n".join(lines)
