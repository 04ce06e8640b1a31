"""finance/sales_daily against the raw tables of a fully synced sandbox.

The main job already built the finance tables of the window, so these tests read what it wrote
and recompute the expected figures in Python from the raw rows, not with the asset's SQL.
"""

from collections import defaultdict
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

import dagster as dg

from centra_pipelines.centra.assets.orders import centra_orders, centra_returns
from centra_pipelines.finance import checks
from centra_pipelines.finance.currency import resolve
from centra_pipelines.finance.rates import finance_exchange_rates
from centra_pipelines.finance.sales import KEY, finance_sales_daily
from centra_pipelines.finance.settings import FinanceConfig, SalesSettings, load_finance_config
from centra_pipelines.models.partitions import parse_market_day
from demo.finance import print_finance

CENT = Decimal("0.01")


def _converted(amount: Decimal, rate: Decimal) -> Decimal:
    return (amount * rate).quantize(CENT, rounding=ROUND_HALF_EVEN)


def _expected_sales(warehouse) -> dict[tuple, Decimal]:
    """Per (market, day): the orders as placed, each converted at the rate Centra recorded."""
    cancelled = dict(
        warehouse.fetch(
            "SELECT order_number, SUM(cancelled_quantity * unit_price) "
            "FROM centra_raw.order_lines GROUP BY order_number"
        )
    )
    expected: dict[tuple, Decimal] = defaultdict(Decimal)
    orders = warehouse.fetch(
        "SELECT order_number, market_id, partition_date, grand_total, currency_base_rate "
        "FROM centra_raw.orders"
    )
    for number, market_id, day, total, rate in orders:
        placed = total + cancelled.get(number, Decimal(0))
        expected[(market_id, day)] += _converted(placed, rate)
    return expected


def _net_by_partition(warehouse) -> dict[tuple, tuple]:
    return {
        (market_id, day): (net, net_reporting)
        for market_id, day, net, net_reporting in warehouse.fetch(
            "SELECT market_id, partition_date, SUM(net_revenue), SUM(net_revenue_reporting) "
            "FROM finance.sales_daily GROUP BY ALL"
        )
    }


def test_revenue_equals_order_totals_converted_at_their_rates(synced):
    expected = _expected_sales(synced.warehouse)
    actual = dict(
        ((market_id, day), gross)
        for market_id, day, gross in synced.warehouse.fetch(
            "SELECT market_id, partition_date, SUM(gross_revenue_reporting) "
            "FROM finance.sales_daily WHERE movement = 'sale' GROUP BY ALL"
        )
    )

    assert len(expected) >= 3, "the synced window should hold orders in several partitions"
    assert actual == expected
    rates = synced.warehouse.fetch(
        "SELECT DISTINCT s.currency, s.rate, o.currency_base_rate FROM finance.sales_daily s "
        "JOIN centra_raw.orders o ON o.market_id = s.market_id "
        "AND o.partition_date = s.partition_date AND o.currency = s.currency "
        "WHERE s.movement = 'sale'"
    )
    assert rates and all(rate == recorded for _, rate, recorded in rates)


def test_cancellations_are_netted_on_their_own_day(synced):
    """Centra keeps no date per cancelled line: a whole-order CANCEL entry's day, else the
    order's last update day, is the cancellation's day (docs/finance.md)."""
    cancel_days = dict(
        synced.warehouse.fetch(
            "SELECT order_number, min(created_at)::DATE FROM centra_raw.payments "
            "WHERE entry_type = 'CANCEL' AND status = 'SUCCESS' GROUP BY ALL"
        )
    )
    built_days = {
        day
        for (day,) in synced.warehouse.fetch(
            "SELECT DISTINCT partition_date FROM finance.sales_daily"
        )
    }
    expected: dict[tuple, Decimal] = defaultdict(Decimal)
    for number, market_id, updated_day, value in synced.warehouse.fetch(
        "SELECT o.order_number, o.market_id, o.updated_at::DATE, "
        "SUM(l.cancelled_quantity * l.unit_price) FROM centra_raw.orders o "
        "JOIN centra_raw.order_lines l USING (order_number) "
        "WHERE l.cancelled_quantity > 0 GROUP BY ALL"
    ):
        day = cancel_days.get(number, updated_day)
        if day in built_days:
            expected[(market_id, day)] -= value
    actual = dict(
        ((market_id, day), net)
        for market_id, day, net in synced.warehouse.fetch(
            "SELECT market_id, partition_date, SUM(net_revenue) FROM finance.sales_daily "
            "WHERE movement = 'cancellation' GROUP BY ALL"
        )
    )
    (gross, net, cancelled, refunded) = synced.warehouse.fetch(
        "SELECT SUM(gross_revenue), SUM(net_revenue), "
        "SUM(net_revenue) FILTER (movement = 'cancellation'), SUM(refunded) "
        "FROM finance.sales_daily"
    )[0]

    assert expected, "the seeded window should hold cancelled lines"
    assert actual == expected
    assert net == gross + cancelled - refunded


def test_a_return_today_shows_today_without_lowering_net_or_earlier_days(synced):
    """The return's money leaves with its refund, which is what lowers net revenue."""
    number, market_id, order_day = synced.warehouse.fetch(
        "SELECT o.order_number, o.market_id, o.partition_date FROM centra_raw.orders o "
        "WHERE o.status = 'SHIPPED' AND NOT EXISTS (SELECT 1 FROM centra_raw.order_lines l "
        "WHERE l.order_number = o.order_number AND l.cancelled_quantity > 0) "
        "ORDER BY o.order_number LIMIT 1"
    )[0]
    today = datetime.now(UTC).date()
    before = _net_by_partition(synced.warehouse)

    synced.sandbox.control.create_return(number)
    resources = synced.resources()
    today_key, order_key = f"{today}|{market_id}", f"{order_day}|{market_id}"
    for assets, key in (
        ([centra_returns], today_key),
        ([finance_sales_daily], today_key),
        ([finance_sales_daily], order_key),
    ):
        result = dg.materialize(
            assets, partition_key=key, resources=resources, instance=synced.instance
        )
        assert result.success

    after = _net_by_partition(synced.warehouse)
    (units, returned) = synced.warehouse.fetch(
        "SELECT SUM(units), SUM(returned) FROM finance.sales_daily "
        "WHERE market_id = ? AND partition_date = ? AND movement = 'return'",
        [market_id, today],
    )[0]
    assert units < 0 and returned > 0
    assert after.get((market_id, today), (0, 0)) == before.get((market_id, today), (0, 0))
    assert after[(market_id, order_day)] == before[(market_id, order_day)]
    assert {k: v for k, v in after.items() if k[1] < today} == {
        k: v for k, v in before.items() if k[1] < today
    }


def test_a_refund_today_lowers_today_and_leaves_last_weeks_figures_untouched(synced):
    """The refund is a payment entry of a past order, synced with that order's partition; the
    sales asset books it on the day of its createdAt, at the rate Centra recorded on it."""
    number, market_id, order_day = synced.warehouse.fetch(
        "SELECT o.order_number, o.market_id, o.partition_date FROM centra_raw.orders o "
        "WHERE o.status = 'SHIPPED' AND NOT EXISTS (SELECT 1 FROM centra_raw.payments p "
        "WHERE p.order_number = o.order_number AND p.entry_type = 'REFUND') "
        "ORDER BY o.order_number LIMIT 1"
    )[0]
    today = datetime.now(UTC).date()
    today_key, order_key = f"{today}|{market_id}", f"{order_day}|{market_id}"
    resources = synced.resources()

    def materialize(assets, key):
        result = dg.materialize(
            assets, partition_key=key, resources=resources, instance=synced.instance
        )
        assert result.success
        return result

    materialize([finance_sales_daily], today_key)
    before = _net_by_partition(synced.warehouse)
    synced.sandbox.control.refund(number, Decimal("12.34"))
    materialize([centra_orders], order_key)
    rebuilt = [materialize([finance_sales_daily], key) for key in (today_key, order_key)]

    (rate,) = synced.warehouse.fetch(
        "SELECT currency_base_rate FROM centra_raw.payments WHERE order_number = ? "
        "AND entry_type = 'REFUND' AND status = 'SUCCESS'",
        [number],
    )[0]
    after = _net_by_partition(synced.warehouse)
    today_before = before.get((market_id, today), (Decimal(0), Decimal(0)))
    assert after[(market_id, today)] == (
        today_before[0] - Decimal("12.34"),
        today_before[1] - _converted(Decimal("12.34"), rate),
    )
    assert {k: v for k, v in after.items() if k[1] < today} == {
        k: v for k, v in before.items() if k[1] < today
    }
    assert (market_id, order_day) in after and order_day < today
    assert all(r.get_asset_check_evaluations()[0].passed for r in rebuilt)


def test_the_check_fails_on_a_tampered_row(synced):
    market_id, day = synced.warehouse.fetch(
        "SELECT market_id, partition_date FROM finance.sales_daily "
        "WHERE movement = 'sale' ORDER BY ALL LIMIT 1"
    )[0]
    market_day = parse_market_day(f"{day}|{market_id}")
    config = load_finance_config()
    with synced.warehouse.connect() as connection:
        conversion = resolve(connection, config.currency)

    def check() -> dg.AssetCheckResult:
        return checks.reconciliation_result(KEY, synced.warehouse, conversion, [market_day], config)

    assert check().passed
    with synced.warehouse.connect() as connection:
        connection.execute(
            "UPDATE finance.sales_daily SET gross_revenue_reporting = gross_revenue_reporting "
            "+ 0.01 WHERE market_id = ? AND partition_date = ? AND movement = 'sale'",
            [market_id, day],
        )

    tampered = check()
    assert not tampered.passed
    assert tampered.severity == dg.AssetCheckSeverity.ERROR
    assert tampered.metadata["partitions_wrong"].value == 1
    warn = FinanceConfig(sales=SalesSettings(reconciliation="warn"))
    warned = checks.reconciliation_result(KEY, synced.warehouse, conversion, [market_day], warn)
    assert not warned.passed and warned.severity == dg.AssetCheckSeverity.WARN


def test_the_main_job_ran_the_check_on_every_partition(synced):
    evaluations = synced.instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(KEY, checks.RECONCILIATION)]
    )
    evaluation = evaluations[dg.AssetCheckKey(KEY, checks.RECONCILIATION)].evaluation
    assert evaluation.passed
    (with_orders,) = synced.warehouse.fetch(
        "SELECT count(DISTINCT (market_id, partition_date)) FROM centra_raw.orders"
    )[0]
    assert evaluation.metadata["partitions_checked"].value >= with_orders > 0


def test_the_demo_report_prints_the_reconciled_sales(synced, capsys):
    assert print_finance(synced.warehouse)
    printed = capsys.readouterr().out
    (orders,) = synced.warehouse.fetch("SELECT count(*) FROM centra_raw.orders")[0]
    assert "Sales per day and market (EUR, incl. tax)" in printed
    assert "MISMATCH" not in printed
    assert sum(int(line.split()[2]) for line in printed.splitlines()[3:-1]) == orders


def test_another_reporting_currency_converts_through_the_base(synced, tmp_path, monkeypatch):
    """Document rate into EUR (the base), then the external EUR -> SEK rate of the day."""
    (rates := tmp_path / "rates.csv").write_text(
        "day,from_currency,to_currency,rate\n2026-10-30,EUR,SEK,11.5\n", encoding="utf-8"
    )
    settings = tmp_path / "finance.yaml"
    settings.write_text(
        f"currency:\n  reporting_currency: SEK\n  rates_csv: {rates}\n  max_rate_age_days: 10\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CENTRA_FINANCE_CONFIG", str(settings))
    market_id, day = synced.warehouse.fetch(
        "SELECT market_id, partition_date FROM centra_raw.orders "
        "GROUP BY ALL ORDER BY count(DISTINCT currency) DESC, count(*) DESC LIMIT 1"
    )[0]

    resources = synced.resources()
    dg.materialize([finance_exchange_rates], resources=resources, instance=synced.instance)
    result = dg.materialize(
        [finance_sales_daily],
        partition_key=f"{day}|{market_id}",
        resources=resources,
        instance=synced.instance,
    )

    expected = Decimal(0)
    for total, rate, currency, cancelled in synced.warehouse.fetch(
        "SELECT o.grand_total, o.currency_base_rate, o.currency, "
        "(SELECT COALESCE(SUM(cancelled_quantity * unit_price), 0) FROM centra_raw.order_lines l "
        "WHERE l.order_number = o.order_number) FROM centra_raw.orders o "
        "WHERE o.market_id = ? AND o.partition_date = ?",
        [market_id, day],
    ):
        expected += _converted(
            total + cancelled, 1 if currency == "SEK" else rate * Decimal("11.5")
        )
    (gross, reporting, sources) = synced.warehouse.fetch(
        "SELECT SUM(gross_revenue_reporting), any_value(reporting_currency), "
        "list(DISTINCT rate_source) FROM finance.sales_daily "
        "WHERE market_id = ? AND partition_date = ? AND movement = 'sale'",
        [market_id, day],
    )[0]

    assert result.success and result.get_asset_check_evaluations()[0].passed
    assert (gross, reporting, sources) == (expected, "SEK", ["document+external"])


def test_each_partition_shows_its_figures(synced):
    market_id, day, orders, gross = synced.warehouse.fetch(
        "SELECT market_id, partition_date, SUM(orders), SUM(gross_revenue_reporting) "
        "FROM finance.sales_daily WHERE movement = 'sale' GROUP BY ALL ORDER BY ALL LIMIT 1"
    )[0]
    event = synced.instance.get_latest_materialization_event(KEY)
    assert event is not None
    records = synced.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=KEY, asset_partitions=[f"{day}|{market_id}"]), limit=1
    ).records
    figures = records[0].asset_materialization.metadata["figures"].value

    assert figures.startswith("Amounts in EUR; AOV ")
    assert f"| sale | {orders} |" in figures
    assert f"| {gross} |" in figures
