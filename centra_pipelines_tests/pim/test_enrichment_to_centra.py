"""The PIM's content reaches Centra once, changes travel alone, and bad products are held."""

from centra_pipelines.pim.assets import PLAN_CHECK, pim_enrichment_plan
from centra_pipelines_tests.pim.conftest import PimFlow, metadata
from sandbox_systems.pim import LOCALES, enrichment_in_centra

PLAN, SENT = "pim__enrichment_plan", "pim__enrichment_sent_to_centra"
DISPLAY_TEXTS = {
    "description": ("texts", "description"),
    "shortDescription": ("texts", "short_description"),
    "metaTitle": ("seo", "title"),
    "metaDescription": ("seo", "description"),
    "metaKeywords": ("seo", "keywords"),
}


def expected_texts(record: dict, language: str) -> dict[str, str]:
    locale = LOCALES[language]
    return {field: record[group][locale][name] for field, (group, name) in DISPLAY_TEXTS.items()}


def translations_of(display: dict) -> dict[str, dict[str, str]]:
    return {
        item["language"]["code"]: {f["field"]: f["value"] for f in item["fields"]}
        for item in display["translations"] or []
    }


def attributes_of(product: dict) -> dict[str, dict[str, str]]:
    return {
        attribute["type"]["name"]: {
            element["key"]: element.get("value") or element.get("selectedValueName")
            for element in attribute["elements"]
        }
        for attribute in product["attributes"] or []
    }


def assert_centra_holds_the_pim(flow: PimFlow) -> None:
    for number, product in flow.centra_products().items():
        record = flow.pim.store.get(number)
        assert product["shown"], f"{number} has no display"
        for display in product["shown"]:
            shown = {field: display[field] for field in DISPLAY_TEXTS}
            assert shown == expected_texts(record, "en"), number
            translated = translations_of(display)
            for language in ("sv", "de", "fr", "nb"):
                wanted = expected_texts(record, language)
                assert {f: translated[language].get(f) for f in wanted} == wanted, (
                    number,
                    language,
                )
        attributes = attributes_of(product)
        assert (
            attributes["pr_long_name"]["text"]
            == record["attributes"]["dynamic"]["pr_long_name"]["text"]
        )
        assert attributes["pr_materials"]["name"] == record["attributes"]["mapped"]["pr_materials"]
        assert attributes["pr_care"]["care"] == record["attributes"]["mapped"]["pr_care"]


def test_a_run_writes_the_pims_content_and_a_second_run_sends_nothing(flow):
    first = flow.run()

    assert first.success
    sent = metadata(first, SENT)
    assert sent["sent"] == len(flow.mutations_seen) > 0
    assert sent["api/mutations"] == sent["sent"]
    assert_centra_holds_the_pim(flow)
    number = flow.pim_numbers()[0]
    shown = enrichment_in_centra(flow.synced.sandbox.url, flow.synced.sandbox.token, number)
    for display in shown["displays"].values():
        assert (
            display["translations"]["de"]["metaTitle"]
            == flow.pim.store.get(number)["seo"]["de_DE"]["title"]
        )

    # Nothing changed in the PIM: only the product at the mark is read again (the read starts
    # a minute before it), and nothing is sent.
    mutations = flow.mutations()
    second = flow.run()
    assert second.success
    assert metadata(second, PLAN)["products_read"] == 1
    assert metadata(second, PLAN)["would_send"] == 0
    assert metadata(second, SENT)["sent"] == 0
    # Reading everything again plans nothing either, though the warehouse still shows Centra
    # as it was before the first run: what was sent since counts as held.
    third = flow.run(full_refresh=True)
    assert metadata(third, PLAN)["products_read"] == len(flow.pim_numbers())
    assert metadata(third, PLAN)["would_send"] == 0
    assert flow.mutations() == mutations


def test_a_product_changed_in_the_pim_sends_only_that_product(flow):
    assert flow.run().success
    number = flow.pim_numbers()[0]
    flow.pim.edit(
        number,
        {
            "texts": {"en_GB": {"description": "Now in recycled wool."}},
            "seo": {"de_DE": {"title": "Neu: recycelte Wolle"}},
        },
    )
    flow.mutations_seen.clear()

    result = flow.run()

    assert result.success
    names = sorted(name for name, _ in flow.mutations_seen)
    assert names == ["PimLocalizeDisplay", "PimUpdateDisplay"]
    display = flow.centra_products()[number]["shown"][0]
    written = {
        variables.get("id") or variables["input"]["objectId"]
        for _, variables in flow.mutations_seen
    }
    assert written == {display["id"]}
    assert display["description"] == "Now in recycled wool."
    assert translations_of(display)["de"]["metaTitle"] == "Neu: recycelte Wolle"
    # A record carries every field the PIM owns of it, so the others came along unchanged.
    german = translations_of(display)["de"]
    wanted = expected_texts(flow.pim.store.get(number), "de")
    assert {field: german[field] for field in wanted} == wanted


def test_the_dry_run_lists_the_writes_and_sends_none(flow):
    mutations = flow.mutations()
    before = flow.centra_products()

    dry = flow.run(pim_enrichment_plan)

    planned = metadata(dry, PLAN)
    assert dry.success
    assert planned["would_send"] > 0
    first = flow.pim_numbers()[0]
    assert f"| {first} | updateDisplay |" in planned["preview"]
    assert f"| {first} | localize |" in planned["preview"]
    assert flow.mutations() == mutations
    assert flow.centra_products() == before

    # The next real run sends what the dry run planned.
    assert metadata(flow.run(), SENT)["sent"] == planned["would_send"]


def test_pim_rate_limits_and_server_errors_are_retried(flow):
    flow.pim.fail_next(429, retry_after=1)
    flow.pim.fail_next(503)

    result = flow.run(pim_enrichment_plan)

    assert result.success
    assert metadata(result, PLAN)["products_read"] == len(flow.pim_numbers())
    listing = [status for _, path, status in flow.pim.store.requests if path.endswith("products")]
    assert listing == [429, 503, 200]


def test_an_unknown_product_is_held_by_the_blocking_check(flow):
    known = flow.pim.store.get(flow.pim_numbers()[0])
    flow.pim.add(known | {"identifier": "NOPE-1", "name": "Not in Centra"})
    mutations = flow.mutations()

    blocked = flow.run()

    checks = blocked.get_asset_check_evaluations()
    assert [(check.check_name, check.passed) for check in checks] == [(PLAN_CHECK, False)]
    assert "NOPE-1" in checks[0].metadata["reasons"].value
    assert blocked.asset_materializations_for_node(SENT) == []
    assert flow.mutations() == mutations

    # The next run reads the unknown product again (it sits at the mark): an old rejection is
    # not news, so the other products' writes go out, and still nothing of the unknown one.
    after = flow.run()
    assert after.success
    assert metadata(after, PLAN)["still_rejected"] == 1
    assert metadata(after, SENT)["sent"] > 0
    assert not any("NOPE-1" in str(variables) for _, variables in flow.mutations_seen)


def test_a_write_centra_refuses_fails_the_run_and_only_it_is_sent_again(flow):
    number = flow.pim_numbers()[1]
    flow.pim.edit(number, {"attributes": {"dynamic": {"pr_unknown": {"text": "x"}}}})

    first = flow.run()

    assert not first.success
    refused = [v for name, v in flow.mutations_seen if name == "PimAssignAttributes"]
    assert len(refused) == len(flow.pim_numbers())
    texts = [name for name, _ in flow.mutations_seen if name == "PimUpdateDisplay"]
    assert len(texts) >= len(flow.pim_numbers())
    flow.mutations_seen.clear()

    again = flow.run()

    assert not again.success
    assert [name for name, _ in flow.mutations_seen] == ["PimAssignAttributes"]
    flow.pim.edit(number, {"attributes": {"dynamic": {"pr_unknown": None}}})
    flow.mutations_seen.clear()

    fixed = flow.run()

    assert fixed.success
    assert [name for name, _ in flow.mutations_seen] == ["PimAssignAttributes"]
    assert_centra_holds_the_pim(flow)
