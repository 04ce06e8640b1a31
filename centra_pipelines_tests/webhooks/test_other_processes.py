"""The receiver beside other processes: a pipeline writing the warehouse, a sensor reading."""

import subprocess
import sys
import textwrap

import duckdb
import pytest

from centra_pipelines.webhooks import ReceiverSettings, WebhookInbox, start_receiver
from centra_pipelines_tests.webhooks.helpers import SECRET, deliver, integration_events

# Holds a DuckDB write transaction, as a pipeline run loading the warehouse does, until stdin
# closes.
HOLD_WAREHOUSE = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE IF NOT EXISTS orders (id INTEGER)")
con.execute("BEGIN TRANSACTION")
con.execute("INSERT INTO orders VALUES (1)")
print("holding", flush=True)
sys.stdin.read()
con.execute("ROLLBACK")
"""

# A sensor-like reader: keeps a read transaction open on the inbox while the receiver writes,
# then reads the new events through WebhookInbox with a cursor.
READ_INBOX = """
import sqlite3, sys
from centra_pipelines.webhooks import WebhookInbox
path, url = sys.argv[1], sys.argv[2]
con = sqlite3.connect(path, isolation_level=None)
con.execute("BEGIN")
print("open", con.execute("SELECT count(*) FROM webhook_events").fetchone()[0], flush=True)
sys.stdin.readline()
print("snapshot", con.execute("SELECT count(*) FROM webhook_events").fetchone()[0], flush=True)
con.execute("COMMIT")
print("ids", *[e.object_id for e in WebhookInbox(url).events_after(0, 10)], flush=True)
"""


def start_helper(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(helper: subprocess.Popen, send: str = "") -> str:
    out, err = helper.communicate(send, timeout=30)
    assert helper.returncode == 0, err
    return out


def test_receiver_answers_while_another_process_writes_the_warehouse(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    settings = ReceiverSettings(
        secret=SECRET, inbox_url=f"sqlite:///{tmp_path}/inbox.sqlite", port=0
    )
    holder = start_helper(HOLD_WAREHOUSE, str(warehouse))
    try:
        assert holder.stdout.readline().strip() == "holding"
        # The warehouse really is taken: no other process can open it now.
        with pytest.raises(duckdb.IOException):
            duckdb.connect(str(warehouse))

        with start_receiver(settings) as receiver:
            responses = [deliver(receiver.url, integration_events(n)) for n in range(3)]
            stored = receiver.inbox.count()
    finally:
        finish(holder)

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert stored == 3


def test_a_reader_in_another_process_does_not_block_deliveries(tmp_path):
    """WAL: an open read transaction elsewhere neither blocks a write nor sees half of one."""
    path = tmp_path / "inbox.sqlite"
    url = f"sqlite:///{path}"
    # A short busy timeout turns a reader that blocked the write into a quick 503.
    inbox = WebhookInbox(url, busy_timeout_seconds=1)
    inbox.prepare()
    settings = ReceiverSettings(secret=SECRET, inbox_url=url, port=0)
    reader = start_helper(READ_INBOX, str(path), url)
    try:
        assert reader.stdout.readline().split() == ["open", "0"]
        with start_receiver(settings, inbox=inbox) as receiver:
            response = deliver(receiver.url, integration_events(7, 8))
    finally:
        out = finish(reader, "go\n")
        inbox.close()

    assert response.status_code == 200
    assert out.splitlines() == ["snapshot 0", "ids 7 8"]
