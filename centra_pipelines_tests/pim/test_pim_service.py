"""The local PIM pages safely, checks its token and refuses parameters it cannot read."""

import pytest
import requests

from sandbox_systems.pim import start_pim

CATALOGUE = [
    {"product_number": f"P{1000 + n}", "name": f"Product {n}", "languages": ["en", "sv"]}
    for n in range(1, 8)
]


@pytest.fixture(scope="module")
def pim():
    with start_pim(CATALOGUE, mapped_attributes={"pr_materials": ["Bomull", "Linne"]}) as running:
        yield running


def get(pim, params=None, token=None, path="/products"):
    headers = {"Authorization": f"Bearer {token or pim.token}"}
    return requests.get(pim.url + path, params=params, headers=headers, timeout=10)


def test_a_product_edited_while_paging_is_served_again_not_skipped(pim):
    first = get(pim, {"limit": 3}).json()
    edited = first["data"][0]["identifier"]
    pim.edit(edited, {"texts": {"en_GB": {"description": "Edited while paging."}}})

    seen, cursor = [item["identifier"] for item in first["data"]], first["next_cursor"]
    while cursor:
        page = get(pim, {"limit": 3, "cursor": cursor}).json()
        seen += [item["identifier"] for item in page["data"]]
        cursor = page["next_cursor"]

    assert set(seen) == {product["product_number"] for product in CATALOGUE}
    assert seen[-1] == edited  # it moved behind the cursor and came once more
    changed = get(pim, {"updated_since": pim.store.get(edited)["updated_at"]}).json()["data"]
    assert [item["identifier"] for item in changed] == [edited]
    assert changed[0]["texts"]["en_GB"]["description"] == "Edited while paging."
    assert changed[0]["texts"]["sv_SE"]["description"].startswith(changed[0]["name"])


def test_seeded_content_is_the_same_every_time(pim):
    with start_pim(CATALOGUE, mapped_attributes={"pr_materials": ["Bomull", "Linne"]}) as again:
        assert again.store.get("P1003") | {"updated_at": None} == pim.store.get("P1003") | {
            "updated_at": None
        }
    record = pim.store.get("P1004")
    assert set(record["texts"]) == {"en_GB", "sv_SE"}
    assert record["attributes"]["mapped"]["pr_materials"] in {"Bomull", "Linne"}
    assert all(len(seo["title"]) <= 60 for seo in record["seo"].values())


@pytest.mark.parametrize(
    ("params", "token", "status"),
    [
        pytest.param(None, "wrong", 401, id="wrong token"),
        pytest.param({"updated_since": "2026-11-01"}, None, 400, id="time without zone"),
        pytest.param({"limit": "500"}, None, 400, id="limit too large"),
        pytest.param({"cursor": "not-a-cursor"}, None, 400, id="foreign cursor"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(pim, params, token, status):
    response = get(pim, params, token)

    assert response.status_code == status
    assert response.json()["error"]


def test_an_unknown_product_is_404(pim):
    assert get(pim, path="/products/NOPE").status_code == 404
