"""The shared rate budget: one set of buckets in SQLite or PostgreSQL, for every process.

Each test that touches a database runs on a SQLite file and on a PostgreSQL database, with a fake
wall clock, so that waits are computed and never slept.
"""

import heapq
import socket
import threading

import dagster as dg
import pytest
from sqlalchemy import create_engine, select

from centra_pipelines.centra.automation.common import sensor_client
from centra_pipelines.centra.client import CentraClient, ratelimit
from centra_pipelines.centra.client.shared_budget import (
    RateBudgetConfigError,
    RateBudgetUnavailable,
    SharedRateBudget,
    budget_rows,
    parse_budget_url,
    resolve_budget_url,
)
from centra_pipelines_tests.postgres_server import postgres_server, postgres_url  # noqa: F401
from centra_pipelines_tests.production.budget_support import (
    ENVIRONMENT,
    HAMMER_QUOTAS,
    CentraBucket,
    FakeWallClock,
    clean_environment,
    run_together,
    start_worker,
)

REQUESTS = "REQUEST_COUNT/TEN_SECONDS"

# Centra's quota in the simulations: 20 requests per 10 s. A budget at full share allows itself
# 18 at once and 1.8 per second after; two such budgets of their own would together take 36.
QUOTA = 20
QUOTAS = {**ratelimit.PLANS["growth"], REQUESTS: QUOTA}


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'budget.sqlite'}"
    return request.getfixturevalue("postgres_url")


def shared(url: str, clock, **overrides) -> SharedRateBudget:
    settings = {"quotas": QUOTAS, "share": 1.0, "environment": ENVIRONMENT, **overrides}
    return SharedRateBudget(url=url, clock=clock, **settings)


def level(url: str, bucket: str = REQUESTS, environment: str = ENVIRONMENT) -> float:
    engine = create_engine(parse_budget_url(url))
    query = select(budget_rows.c.level).where(
        budget_rows.c.environment == environment, budget_rows.c.bucket == bucket
    )
    try:
        with engine.connect() as conn:
            return conn.execute(query).scalar_one()
    finally:
        engine.dispose()


def simulate(budgets, clock: FakeWallClock, *, seconds: float) -> CentraBucket:
    """Clients send one request after another, each when its budget says; Centra judges them."""
    centra = CentraBucket(quota=QUOTA, interval=10, start=clock())
    end = clock() + seconds
    # (time, client, step): each client reserves, waits what its budget says, then sends.
    events = [(clock(), index, "reserve") for index in range(len(budgets))]
    while events:
        at, index, step = heapq.heappop(events)
        if at > end:
            continue
        clock.now = at
        if step == "reserve":
            wait = budgets[index].reserve({ratelimit.REQUEST_COUNT: 1})
            heapq.heappush(events, (at + wait, index, "send"))
        else:
            centra.admit(at)
            heapq.heappush(events, (at, index, "reserve"))
    return centra


def test_two_budgets_on_one_store_stay_within_centras_quota(store_url):
    clock = FakeWallClock()
    centra = simulate([shared(store_url, clock), shared(store_url, clock)], clock, seconds=40)

    assert centra.refused == 0
    # 18 at once and 1.8 per second: the two split the budget rather than starve.
    assert centra.granted >= 18 + 1.8 * 40 - 2


def test_two_budgets_of_their_own_overrun_centras_quota():
    """Proves the test above can fail: each in-process budget believes it owns the quota."""
    clock = FakeWallClock()
    budgets = [ratelimit.RateBudget(quotas=QUOTAS, share=1.0, clock=clock) for _ in range(2)]

    centra = simulate(budgets, clock, seconds=40)

    assert centra.refused > 0


def test_a_pause_after_a_429_in_one_process_holds_the_others(store_url):
    clock = FakeWallClock()
    first, second = shared(store_url, clock), shared(store_url, clock)

    first.pause(30)

    assert second.reserve({ratelimit.REQUEST_COUNT: 1}) == pytest.approx(30)
    clock.advance(31)
    assert second.reserve({ratelimit.REQUEST_COUNT: 1}) == 0


def test_a_later_process_joins_the_levels_instead_of_resetting_them(store_url):
    clock = FakeWallClock()
    first = shared(store_url, clock)
    assert first.reserve({ratelimit.REQUEST_COUNT: 18}) == 0

    later = shared(store_url, clock, quotas={**QUOTAS, REQUESTS: 1_000})

    assert later.capacities()[REQUESTS] == pytest.approx(18)
    assert later.reserve({ratelimit.REQUEST_COUNT: 1}) == pytest.approx(1 / 1.8)


def test_configured_quotas_resize_the_buckets_but_never_refill_them(store_url):
    """A client that does not read Centra's quotas imposes its own, without a fresh burst."""
    clock = FakeWallClock()
    shared(store_url, clock).reserve({ratelimit.REQUEST_COUNT: 18})

    resized = shared(store_url, clock, quotas={**QUOTAS, REQUESTS: 100}, resize_to_quotas=True)

    assert resized.capacities()[REQUESTS] == pytest.approx(90)
    assert resized.reserve({ratelimit.REQUEST_COUNT: 9}) == pytest.approx(1)


def test_quotas_read_from_centra_by_one_process_size_everyones_buckets(store_url):
    clock = FakeWallClock()
    first, second = shared(store_url, clock), shared(store_url, clock)

    first.adopt(REQUESTS, quota=10, remaining=4)

    assert second.capacities()[REQUESTS] == pytest.approx(9)
    # Four tokens left and 0.9 per second: the fifth costs a second and more.
    assert second.reserve({ratelimit.REQUEST_COUNT: 5}) == pytest.approx(1 / 0.9)


def test_complexity_estimates_settled_by_one_process_are_seen_by_the_other(store_url):
    clock = FakeWallClock()
    first, second = shared(store_url, clock), shared(store_url, clock)
    capacity = first.capacities()["QUERY_COMPLEXITY/TEN_SECONDS"]

    first.reserve({ratelimit.QUERY_COMPLEXITY: 250})
    first.settle(ratelimit.QUERY_COMPLEXITY, capacity)

    assert second.reserve({ratelimit.QUERY_COMPLEXITY: 1}) > 0


def test_threads_hammering_one_store_lose_no_update(store_url):
    budgets = [shared(store_url, lambda: 1_800_000_000.0, quotas=HAMMER_QUOTAS) for _ in range(4)]
    start = level(store_url)

    def hammer(budget: SharedRateBudget) -> None:
        for _ in range(50):
            budget.reserve({ratelimit.REQUEST_COUNT: 1})

    threads = [threading.Thread(target=hammer, args=(budget,)) for budget in budgets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert level(store_url) == pytest.approx(start - 4 * 50)


def test_processes_hammering_one_store_lose_no_update(store_url):
    workers = [start_worker(["hammer", store_url, "150"], clean_environment()) for _ in range(2)]
    results = run_together(workers, timeout=120)

    assert [result["reserved"] for result in results] == [150, 150]
    assert level(store_url) == pytest.approx(HAMMER_QUOTAS[REQUESTS] * 0.9 - 300)


@pytest.mark.parametrize(
    ("configured", "environ", "expected"),
    [
        (None, {}, "process"),
        (
            None,
            {"DAGSTER_HOME": "/srv/dagster"},
            "sqlite:////srv/dagster/centra-rate-budget.sqlite",
        ),
        (
            None,
            {"DAGSTER_HOME": "/srv/dagster", "CENTRA_RATE_BUDGET_URL": "postgresql://h/dagster"},
            "postgresql://h/dagster",
        ),
        ("process", {"CENTRA_RATE_BUDGET_URL": "postgresql://h/dagster"}, "process"),
        ("sqlite:////tmp/b.sqlite", {"DAGSTER_HOME": "/srv/dagster"}, "sqlite:////tmp/b.sqlite"),
    ],
)
def test_the_budget_lives_where_the_settings_say(configured, environ, expected):
    assert resolve_budget_url(configured, environ) == expected


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///:memory:", "mysql://h/db", "budget.sqlite"]
)
def test_a_budget_no_other_process_could_open_is_refused(url):
    with pytest.raises(RateBudgetConfigError):
        parse_budget_url(url)


def test_runs_and_sensors_of_one_dagster_instance_share_a_budget_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("CENTRA_RATE_BUDGET_URL", raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    run = CentraClient(api_url="http://127.0.0.1:9/graphql", api_token="t")
    sensor = sensor_client(run)
    run._wall_time = sensor._wall_time = FakeWallClock()

    run._ready().budget.reserve({ratelimit.REQUEST_COUNT: 54})

    assert (tmp_path / "centra-rate-budget.sqlite").exists()
    assert sensor._ready().budget.reserve({ratelimit.REQUEST_COUNT: 1}) > 0


def test_without_dagster_home_the_budget_is_the_process_own(monkeypatch):
    monkeypatch.delenv("CENTRA_RATE_BUDGET_URL", raising=False)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    client = CentraClient(api_url="http://127.0.0.1:9/graphql", api_token="t")

    assert isinstance(client._ready().budget, ratelimit.RateBudget)


def test_an_unreachable_store_fails_the_run_at_start_naming_it_without_the_password(caplog):
    url = f"postgresql+psycopg2://pacer:s3cret-pw@127.0.0.1:{_closed_port()}/budget"
    client = CentraClient(api_url="http://127.0.0.1:9/graphql", api_token="t", rate_budget_url=url)

    @dg.asset
    def needs_centra(centra: CentraClient) -> None:
        raise AssertionError("the run should have failed before any step ran")

    with pytest.raises(Exception) as raised:
        dg.materialize([needs_centra], resources={"centra": client})

    error = _cause_of_type(raised.value, RateBudgetUnavailable)
    assert "pacer:***@127.0.0.1" in str(error)
    assert "CENTRA_RATE_BUDGET_URL" in str(error)
    assert "s3cret-pw" not in str(error) + caplog.text


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _cause_of_type(error: BaseException, wanted: type) -> BaseException:
    seen = error
    while seen is not None:
        if isinstance(seen, wanted):
            return seen
        seen = seen.__cause__ or seen.__context__
    raise AssertionError(f"{wanted.__name__} is not among the causes of {error!r}")


def test_a_password_with_an_unencoded_at_is_refused_without_showing_it():
    with pytest.raises(RateBudgetConfigError) as error:
        parse_budget_url("postgresql+psycopg2://dagster:ab@Leak@127.0.0.1:5432/dagster")

    assert "Leak" not in str(error.value) and "%40" in str(error.value)


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_the_warehouse_url_form_names_the_installed_driver(scheme):
    """Plain postgresql:// would make SQLAlchemy look for psycopg 3, which is not installed."""
    url = parse_budget_url(f"{scheme}://dagster:pw@127.0.0.1:5432/dagster")

    assert url.drivername == "postgresql+psycopg2"
