"""A local help desk: tickets and customer-service interactions over a REST JSON API.

`start_support(orders, customers)` seeds tickets from the caller's Centra orders and customers and
serves them on a loopback port; `running.desk.add_ticket(...)` and `update_ticket(...)` change
things between pipeline runs.
"""

from sandbox_systems.support.desk import CHANNELS, STATUSES, HelpDesk, TicketNotFound
from sandbox_systems.support.server import RunningSupport, start_support

__all__ = ["CHANNELS", "STATUSES", "HelpDesk", "RunningSupport", "TicketNotFound", "start_support"]
