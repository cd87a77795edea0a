"""The paging file is checked at start-up; mistakes name their line."""

from __future__ import annotations

import pytest

from firefighter.incidents.paging_plan import AUTOMATIC, OFFER
from firefighter.paging.config import parse_paging
from firefighter.yaml_files import SpecError

SEVERITIES = ["SEV1", "SEV2", "SEV3", "SEV4", "SEV5"]
COMPONENTS = ["payments", "web"]


def test_defaults_page_sev1_and_sev2_and_offer_the_rest() -> None:
    config = parse_paging(
        "services:\n  Payments:\n    pagerduty: {routing_key: abc}\n",
        severities=SEVERITIES,
        components=COMPONENTS,
    )
    plan = config.plan
    assert plan.service_for("web") == "Payments"  # the only service is the default
    assert plan.mode("SEV1", "web") == AUTOMATIC and plan.mode("SEV2", None) == AUTOMATIC
    assert plan.mode("SEV3", "payments") == OFFER


def test_rules_by_severity_and_component() -> None:
    text = """\
services:
  Payments: {pagerduty: {routing_key: abc}}
  Checkout: {opsgenie: {team: Checkout}}
components: {payments: Payments, web: Checkout}
rules:
  - {severity: SEV3, component: payments, page: automatic}
  - {severity: [SEV1], page: automatic}
  - {page: never}
"""
    plan = parse_paging(text, severities=SEVERITIES, components=COMPONENTS).plan
    assert plan.mode("SEV3", "payments") == AUTOMATIC
    assert plan.mode("SEV3", "web") == "never"
    assert plan.service_for("web") == "Checkout" and plan.service_for("api") is None


def test_mistakes_are_named_with_their_lines() -> None:
    text = """\
services:
  Payments:
    pagerduty: {routing_key: abc}
    opsgenie: {team: Ops}
components:
  payments: Nowhere
rules:
  - {severity: SEV9, page: sometimes}
"""
    with pytest.raises(SpecError) as raised:
        parse_paging(text, source="paging.yml", severities=SEVERITIES, components=COMPONENTS)
    rendered = [p.render("paging.yml") for p in raised.value.problems]
    assert any(r.startswith("paging.yml:3") or r.startswith("paging.yml:2") for r in rendered), (
        rendered
    )
    assert any("page" in r and ":8" in r for r in rendered), rendered
