"""A refused deploy shows every stage's errors of every file in one answer."""

from __future__ import annotations

from pathlib import Path

import pytest

expect = pytest.importorskip("playwright.sync_api").expect

DATA = Path(__file__).parents[1] / "data"



def test_a_refused_deploy_lists_script_property_and_parser_errors_together(open_page, screens, make_key, log_in,
                                                                          drop_files):
    page = open_page()
    log_in(page, make_key("mia", "modeler"), "/ui/definitions")
    drop_files(page, "#dropzone", DATA / "refused_at_every_stage.bpmn", DATA / "call_names_nothing.bpmn")
    result = page.locator("#upload-result")
    expect(result).to_contain_text("Not deployed")
    refused = result.locator("li", has_text="refused_at_every_stage.bpmn").locator(".error-item")
    expect(refused).to_have_count(4)
    expect(refused.nth(0)).to_contain_text("groovy_script")
    expect(refused.nth(0)).to_contain_text("written in 'groovy'")
    expect(refused.nth(1)).to_contain_text("property 'assignment'")
    expect(refused.nth(2)).to_contain_text("property 'sla'")
    expect(refused.nth(3)).to_contain_text("call_nothing")
    expect(refused.nth(3)).to_contain_text("calledElement")
    other = result.locator("li", has_text="call_names_nothing.bpmn").locator(".error-item")
    expect(other).to_have_count(1)
    expect(other).to_contain_text("call_without_element")
    screens.shoot(page, "deploy-refused-at-every-stage")
