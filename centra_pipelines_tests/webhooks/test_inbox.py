"""The webhook inbox on SQLite and on a real PostgreSQL: dedupe, cursor reads, atomicity."""

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from centra_pipelines.webhooks.inbox import (
    InboxConfigError,
    InboxUnavailable,
    WebhookInbox,
    deliveries,
)
from centra_pipelines.webhooks.payloads import WebhookEvent


def integration(object_id: int, action: str = "update", date: str = "2026-12-01 10:00:00.000001"):
    return WebhookEvent("integration", "order", action, str(object_id), date)


def checkout(object_id: str, field: str = "products"):
    return WebhookEvent("checkout", field, None, object_id, None)


@pytest.fixture(params=["sqlite", "postgresql"])
def inbox(request, tmp_path):
    if request.param == "sqlite":
        # The folder does not exist yet: the inbox creates it.
        url = f"sqlite:///{tmp_path}/not-yet/inbox.sqlite"
    else:
        url = request.getfixturevalue("postgres_url")
    opened = WebhookInbox(url)
    yield opened
    opened.close()


def store(inbox, events, t=1_800_000_000, sha="a" * 64, **kwargs):
    return inbox.store(events, signature_timestamp=t, body_sha256=sha, **kwargs)


def test_empty_inbox_creates_its_tables_on_first_read(inbox):
    assert inbox.events_after(0, 10) == []
    assert (inbox.count(), inbox.last_event_id(), inbox.delivery_count()) == (0, 0, 0)


def test_stored_events_come_back_with_id_delivery_and_utc_time(inbox):
    before = datetime.now(UTC)
    result = store(inbox, [integration(2735), checkout("7")], delivery_id="d1")

    assert (result.delivery_id, result.stored, result.duplicates) == ("d1", 2, 0)
    first, second = inbox.events_after(0, 10)
    assert first.event == integration(2735)
    assert second.event == checkout("7")
    assert first.delivery_id == "d1"
    assert first.id < second.id
    assert first.received_at.tzinfo == UTC
    assert before <= first.received_at <= datetime.now(UTC)
    assert first.dedupe_key == "integration|order|update|2735|2026-12-01 10:00:00.000001"


def test_integration_retry_resigned_later_stores_nothing_new(inbox):
    events = [integration(1), integration(2), integration(2, action="good_to_go")]
    assert store(inbox, events, t=100, sha="1" * 64).stored == 3

    retry = store(inbox, events, t=160, sha="2" * 64)

    assert (retry.stored, retry.duplicates) == (0, 3)
    assert inbox.count() == 3
    assert inbox.delivery_count() == 2


def test_integration_event_with_a_new_date_is_a_new_event(inbox):
    store(inbox, [integration(1, date="2026-12-01 10:00:00.1")])
    assert store(inbox, [integration(1, date="2026-12-01 10:05:00.1")]).stored == 1


def test_checkout_byte_identical_redelivery_stores_nothing(inbox):
    events = [checkout("1"), checkout("6"), checkout("1", field="categories")]
    assert store(inbox, events, t=100, sha="1" * 64).stored == 3

    again = store(inbox, events, t=100, sha="1" * 64)

    assert (again.stored, again.duplicates) == (0, 3)


def test_checkout_later_change_of_the_same_object_is_stored(inbox):
    """Checkout API mode sends only ids: a later call about product 1 is a new change."""
    store(inbox, [checkout("1")], t=100, sha="1" * 64)
    assert store(inbox, [checkout("1")], t=101, sha="1" * 64).stored == 1
    # Two different calls signed within the same second are two changes as well.
    assert store(inbox, [checkout("1")], t=101, sha="2" * 64).stored == 1
    assert inbox.count() == 3


def test_a_key_repeated_within_one_delivery_counts_as_duplicate(inbox):
    result = store(inbox, [checkout("1"), checkout("1"), integration(5), integration(5)])
    assert (result.stored, result.duplicates) == (2, 2)


def test_delivery_row_records_hash_timestamp_and_counts(inbox):
    store(inbox, [checkout("1")], t=100, sha="1" * 64, delivery_id="first")
    store(inbox, [checkout("1"), checkout("2")], t=100, sha="1" * 64, delivery_id="second")

    with inbox.engine.connect() as conn:
        rows = conn.execute(select(deliveries).order_by(deliveries.c.id)).mappings().all()
    assert [
        (
            r["id"],
            r["signature_timestamp"],
            r["body_sha256"],
            r["event_count"],
            r["new_event_count"],
        )
        for r in rows
    ] == [("first", 100, "1" * 64, 1, 1), ("second", 100, "1" * 64, 2, 1)]
    assert rows[0]["received_at"].tzinfo == UTC


def test_events_after_pages_in_id_order_with_limit(inbox):
    for delivery in range(5):
        store(inbox, [integration(delivery * 10 + n) for n in range(3)])

    pages, cursor = [], 0
    while page := inbox.events_after(cursor, 4):
        pages.append(page)
        cursor = page[-1].id

    assert [len(page) for page in pages] == [4, 4, 4, 3]
    ids = [item.id for page in pages for item in page]
    assert ids == sorted(ids) and len(set(ids)) == 15
    assert cursor == inbox.last_event_id()
    assert [item.object_id for page in pages for item in page][:4] == ["0", "1", "2", "10"]
    with pytest.raises(ValueError, match="limit"):
        inbox.events_after(0, 0)


def test_a_failed_transaction_stores_neither_delivery_nor_events(inbox):
    def fail_on_final_update(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("UPDATE webhook_deliveries"):
            raise OperationalError(statement, None, Exception("simulated disk failure"))

    event.listen(inbox.engine, "before_cursor_execute", fail_on_final_update)
    try:
        with pytest.raises(InboxUnavailable, match="simulated disk failure"):
            store(inbox, [checkout("1"), integration(2)])
    finally:
        event.remove(inbox.engine, "before_cursor_execute", fail_on_final_update)

    assert (inbox.count(), inbox.delivery_count()) == (0, 0)
    # Nothing half-written blocks the retry.
    assert store(inbox, [checkout("1"), integration(2)]).stored == 2


def test_a_reopened_inbox_keeps_its_events(inbox):
    store(inbox, [checkout("1")])
    again = WebhookInbox(inbox.engine.url.render_as_string(hide_password=False))
    try:
        assert again.count() == 1
        assert store(again, [checkout("1")]).stored == 0
    finally:
        again.close()


def test_a_writer_never_commits_a_higher_id_before_a_lower_one(inbox):
    """The sensor cursor contract: while writer A holds id n uncommitted, writer B must wait.

    Without serialized writers (PostgreSQL without the advisory lock), B would commit id n+1
    first; a sensor reading then would move its cursor past n and never see A's event.
    """
    a_inserted, release_a = threading.Event(), threading.Event()

    def pause_writer_a(conn, cursor, statement, parameters, context, executemany):
        if threading.current_thread().name == "writer-a" and "INSERT INTO webhook_events" in (
            statement
        ):
            a_inserted.set()
            release_a.wait(timeout=10)

    event.listen(inbox.engine, "after_cursor_execute", pause_writer_a)
    try:
        writer_a = threading.Thread(target=store, args=(inbox, [checkout("a")]), name="writer-a")
        writer_a.start()
        assert a_inserted.wait(timeout=10)
        writer_b = threading.Thread(target=store, args=(inbox, [checkout("b")]), name="writer-b")
        writer_b.start()
        writer_b.join(timeout=0.5)

        seen_while_a_open = inbox.events_after(0, 10)
        b_finished_while_a_open = not writer_b.is_alive()
        release_a.set()
        writer_a.join(timeout=10)
        writer_b.join(timeout=10)
    finally:
        release_a.set()
        event.remove(inbox.engine, "after_cursor_execute", pause_writer_a)

    assert seen_while_a_open == []
    assert not b_finished_while_a_open
    assert [item.object_id for item in inbox.events_after(0, 10)] == ["a", "b"]


def test_concurrent_writers_and_a_cursor_reader_lose_nothing(inbox):
    """Many writers, one reader polling with a cursor like a sensor: every event is seen once."""
    writers, deliveries_each, events_each = 8, 12, 3
    done = threading.Event()
    seen: list[int] = []

    def slow_commit(conn, cursor, statement, parameters, context, executemany):
        # Widens the gap between taking ids and committing, where misordering would show.
        if "INSERT INTO webhook_events" in statement:
            time.sleep(0.002)

    def write(writer: int) -> None:
        for delivery in range(deliveries_each):
            base = (writer * deliveries_each + delivery) * events_each
            store(inbox, [checkout(str(base + n)) for n in range(events_each)])

    def read() -> None:
        cursor = 0
        while True:
            finished = done.is_set()
            page = inbox.events_after(cursor, 50)
            seen.extend(item.id for item in page)
            cursor = page[-1].id if page else cursor
            if finished and not page:
                return
            # A sensor polls at intervals. A reader spinning without pause in the writers' own
            # process starves them of the GIL while they hold SQLite's write lock.
            time.sleep(0.001)

    event.listen(inbox.engine, "after_cursor_execute", slow_commit)
    try:
        reader = threading.Thread(target=read)
        reader.start()
        threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        done.set()
        reader.join(timeout=60)
    finally:
        done.set()
        event.remove(inbox.engine, "after_cursor_execute", slow_commit)

    total = writers * deliveries_each * events_each
    assert inbox.count() == total
    assert len(seen) == total
    assert sorted(seen) == [item.id for item in inbox.events_after(0, total)]


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_inbox_is_refused(url):
    with pytest.raises(InboxConfigError, match="cannot live in memory"):
        WebhookInbox(url)


@pytest.mark.parametrize("url", ["mysql://u@h/db", "not a url"])
def test_unsupported_urls_are_refused(url):
    with pytest.raises(InboxConfigError):
        WebhookInbox(url)


def test_password_is_masked_in_the_display_url():
    inbox = WebhookInbox("postgresql+psycopg2://user:hunter2@127.0.0.1:1/db")
    assert "hunter2" not in inbox.display_url
    assert "hunter2" not in repr(inbox)


def test_unreachable_database_is_unavailable_not_a_crash():
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    inbox = WebhookInbox("postgresql+psycopg2://user:hunter2@127.0.0.1:1/db")
    with pytest.raises(InboxUnavailable) as raised:
        store(inbox, [checkout("1")])
    assert "hunter2" not in str(raised.value)
