"""Sandbox fixtures: one shared read-only instance, fresh small ones for tests that write."""

from collections.abc import Callable, Iterator
from datetime import date

import pytest
import requests

from centra_sandbox import Sandbox, SandboxConfig, start_sandbox

WINDOW_START = date(2026, 11, 1)


def post(sandbox: Sandbox, query: str, variables: dict | None = None, token: str | None = None):
    """POST a GraphQL document; returns the requests.Response."""
    headers = {"Authorization": f"Bearer {token or sandbox.token}"}
    body = {"query": query, "variables": variables or {}}
    return requests.post(sandbox.url, json=body, headers=headers, timeout=30)


def gql(sandbox: Sandbox, query: str, variables: dict | None = None) -> dict:
    """Execute and insist on a clean 200 answer; returns `data`."""
    response = post(sandbox, query, variables)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    """Default demo data; the Enterprise plan keeps the shared instance out of throttling."""
    config = SandboxConfig(seed=42, orders=1500, window_start=WINDOW_START, plan="enterprise")
    with start_sandbox(config) as running:
        yield running


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """Factory for private sandboxes that a test may change or drain."""
    stack = []

    def make(**overrides) -> Sandbox:
        settings = {"seed": 7, "orders": 200, "window_start": WINDOW_START, **overrides}
        manager = start_sandbox(SandboxConfig(**settings))
        stack.append(manager)
        return manager.__enter__()

    yield make
    for manager in reversed(stack):
        manager.__exit__(None, None, None)
