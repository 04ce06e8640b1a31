"""The help desk's tickets: seeded from Centra's orders and customers, changed by control calls.

Tickets are kept in memory, guarded by one lock, because the desk serves requests from uvicorn's
thread while a test or the demo changes tickets from its own. Every change moves `updated_at`
forward, strictly after the newest ticket's, so a reader that keeps a high-water mark sees it.
"""

import random
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

CHANNELS = ("email", "chat", "phone")
STATUSES = ("new", "open", "pending", "solved", "closed")
FIRST_TICKET_NUMBER = 1001

# Share of the given orders and customers that get a ticket when the desk is seeded.
ORDER_TICKET_SHARE = 0.3
CUSTOMER_TICKET_SHARE = 0.2

# Seeded tickets were created within this many days before the desk started.
SEED_HISTORY_DAYS = 7

# (subject, summary) pairs per topic; `{order}` is the order number.
ORDER_TOPICS = (
    ("Where is my order {order}?", "Customer asks when order {order} arrives; tracking shows no "
     "movement for three days."),
    ("Wrong size in order {order}", "Received the wrong size; wants an exchange rather than a "
     "refund."),
    ("Return label for order {order}", "Asks for a new return label; the one in the parcel was "
     "damaged."),
    ("Change address on order {order}", "Moved last week; asks to ship order {order} to the new "
     "address."),
    ("Item missing from order {order}", "One item was not in the parcel; the packing slip lists "
     "it."),
)  # fmt: skip
CUSTOMER_TOPICS = (
    ("Discount code not working", "The newsletter code is refused at checkout."),
    ("Unsubscribe from newsletter", "Wants no more marketing e-mail; keeps the account."),
    ("Size advice", "Asks which size fits between M and L for the merino sweater."),
    ("Account login problem", "Password reset e-mail never arrives; checked the spam folder."),
)  # fmt: skip


class TicketNotFound(KeyError):
    """A control call named a ticket the desk does not have."""


class HelpDesk:
    """The desk's tickets and the calls that list and change them."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._clock = clock or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._tickets: dict[str, dict[str, Any]] = {}
        self._next_number = FIRST_TICKET_NUMBER
        self.requests = 0

    def seed(self, orders: Iterable[dict], customers: Iterable[dict], *, seed: int) -> int:
        """Create tickets about some of the orders and customers; returns how many.

        The same orders, customers, seed and start time give the same tickets.
        """
        rng = random.Random(seed)
        start = self._clock().replace(microsecond=0) - timedelta(days=SEED_HISTORY_DAYS)
        drafts = [
            _order_ticket(rng, order) for order in orders if rng.random() < ORDER_TICKET_SHARE
        ]
        drafts += [
            _customer_ticket(rng, customer)
            for customer in customers
            if rng.random() < CUSTOMER_TICKET_SHARE
        ]
        for draft in drafts:
            created = start + timedelta(minutes=rng.randrange(SEED_HISTORY_DAYS * 24 * 60 - 240))
            updated = created + timedelta(minutes=rng.randrange(240))
            draft.update(created_at=_text(created), updated_at=_text(updated))
        # Numbered in creation order, as a desk numbers its tickets.
        with self._lock:
            for draft in sorted(drafts, key=lambda ticket: ticket["created_at"]):
                self._store(draft)
        return len(drafts)

    def add_ticket(
        self,
        *,
        subject: str,
        summary: str,
        channel: str = "email",
        status: str = "new",
        customer_email: str | None = None,
        order_number: int | None = None,
    ) -> dict[str, Any]:
        """Open a ticket now; returns it as the API lists it."""
        with self._lock:
            moment = _text(self._next_moment())
            ticket = {
                "channel": channel,
                "subject": subject,
                "status": status,
                "summary": summary,
                "created_at": moment,
                "updated_at": moment,
                "requester": {"email": customer_email},
                "order_number": None if order_number is None else str(order_number),
            }
            return dict(self._store(ticket))

    def update_ticket(self, ticket_id: str, **changes: Any) -> dict[str, Any]:
        """Change a ticket's status, subject, summary, channel, order or e-mail now."""
        allowed = {"status", "subject", "summary", "channel", "order_number", "customer_email"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"cannot change {', '.join(sorted(unknown))}; change {allowed}")
        with self._lock:
            if ticket_id not in self._tickets:
                raise TicketNotFound(ticket_id)
            ticket = self._tickets[ticket_id]
            if "customer_email" in changes:
                ticket["requester"] = {"email": changes.pop("customer_email")}
            if changes.get("order_number") is not None:
                changes["order_number"] = str(changes["order_number"])
            ticket.update(changes, updated_at=_text(self._next_moment()))
            return dict(ticket)

    def tickets(self) -> list[dict[str, Any]]:
        """Every ticket, oldest change first."""
        with self._lock:
            return [dict(ticket) for ticket in _in_order(self._tickets.values())]

    def page(
        self, *, updated_since: datetime | None, after: tuple[str, int] | None, limit: int
    ) -> tuple[list[dict[str, Any]], tuple[str, int] | None]:
        """Tickets changed at or after `updated_since`, in (updated_at, id) order after `after`.

        Returns the page and the position of its last ticket when more follow, else None.
        """
        with self._lock:
            self.requests += 1
            selected = [
                dict(ticket)
                for ticket in _in_order(self._tickets.values())
                if (updated_since is None or _moment(ticket["updated_at"]) >= updated_since)
                and (after is None or _position(ticket) > after)
            ]
        page = selected[:limit]
        more = len(selected) > limit
        return page, (_position(page[-1]) if more else None)

    def _store(self, ticket: dict[str, Any]) -> dict[str, Any]:
        ticket = {"id": f"T-{self._next_number}", **ticket}
        self._next_number += 1
        self._tickets[ticket["id"]] = ticket
        return ticket

    def _next_moment(self) -> datetime:
        # Strictly after every stored change, even when the clock stands still or goes back.
        now = self._clock().replace(microsecond=0)
        newest = max((_moment(t["updated_at"]) for t in self._tickets.values()), default=None)
        return now if newest is None or now > newest else newest + timedelta(seconds=1)


def _order_ticket(rng: random.Random, order: dict) -> dict[str, Any]:
    number = order["number"]
    subject, summary = rng.choice(ORDER_TOPICS)
    return {
        "channel": rng.choice(CHANNELS),
        "subject": subject.format(order=number),
        "status": rng.choice(STATUSES),
        "summary": summary.format(order=number),
        "requester": {"email": order.get("customer_email") or order.get("email")},
        "order_number": str(number),
    }


def _customer_ticket(rng: random.Random, customer: dict) -> dict[str, Any]:
    subject, summary = rng.choice(CUSTOMER_TOPICS)
    return {
        "channel": rng.choice(CHANNELS),
        "subject": subject,
        "status": rng.choice(STATUSES),
        "summary": summary,
        "requester": {"email": customer["email"]},
        "order_number": None,
    }


def _in_order(tickets: Iterable[dict]) -> list[dict]:
    return sorted(tickets, key=_position)


def _position(ticket: dict) -> tuple[str, int]:
    # Times are written in one fixed format, so their text order is their time order.
    return ticket["updated_at"], int(ticket["id"].removeprefix("T-"))


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)
