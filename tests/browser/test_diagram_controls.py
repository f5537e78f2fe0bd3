"""Diagram controls: zoom in and out, fit, enlarge; the same from the keyboard."""

from __future__ import annotations

import pytest

expect = pytest.importorskip("playwright.sync_api").expect




def _zoom(page) -> float:
    """The viewer's zoom: the scale of its viewport transform."""
    return page.evaluate("""() => {
        const matrix = document.querySelector('#diagram .viewport').transform.baseVal.consolidate().matrix;
        return matrix.a;
    }""")


def test_zoom_fit_and_enlarge_by_button_and_keyboard(open_page, screens, deploy, start, make_user, log_in):
    deploy("case_review.bpmn")
    ticket = start("case_review", {"subject": "Laptops"})["open_tickets"][0]["id"]
    page = open_page()
    log_in(page, make_user("sue", "agent", "support"), f"/ui/tickets/{ticket}")
    expect(page.locator("#diagram")).to_have_attribute("data-rendered", "true")
    fitted = _zoom(page)
    page.get_by_role("button", name="Zoom in").click()
    assert _zoom(page) == pytest.approx(fitted * 1.25, rel=0.01)
    page.get_by_role("button", name="Zoom out").click()
    page.get_by_role("button", name="Zoom out").click()
    assert _zoom(page) == pytest.approx(fitted / 1.25, rel=0.01)
    page.get_by_role("button", name="Fit the diagram").click()
    assert _zoom(page) == pytest.approx(fitted, rel=0.01)

    diagram = page.locator("#diagram")
    diagram.focus()
    page.keyboard.press("+")
    assert _zoom(page) == pytest.approx(fitted * 1.25, rel=0.01)
    page.keyboard.press("0")
    assert _zoom(page) == pytest.approx(fitted, rel=0.01)

    small = diagram.bounding_box()
    page.get_by_role("button", name="Enlarge the diagram").click()
    expect(page.get_by_role("button", name="Shrink the diagram")).to_have_attribute("aria-pressed", "true")
    large = diagram.bounding_box()
    assert large["width"] > small["width"] * 2 and large["height"] > small["height"] * 2
    screens.shoot(page, "diagram-enlarged")
    page.get_by_role("button", name="Shrink the diagram").click()
    expect(diagram).not_to_have_class("enlarged")
