"""Signing in to the UI through an OpenID Connect provider (a fake one, on a local port)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

expect = pytest.importorskip("playwright.sync_api").expect



@pytest.fixture
def app_settings(fake_idp):
    """The served app signs in through the fake provider and accepts its tokens."""
    return fake_idp.settings()


def test_signing_in_with_the_provider_shows_the_users_inbox(open_page, screens, fake_idp, deploy, start):
    deploy("inbox.bpmn")
    start("inbox_item", {"priority": 1, "due": (datetime.now(timezone.utc) + timedelta(days=2)).isoformat()},
          business_key="ITEM-OIDC")
    fake_idp.user = {"sub": "olive", "roles": ["agent"], "groups": ["agents"]}
    page = open_page()
    page.goto("/ui/inbox")
    expect(page).to_have_url(re.compile(r"/ui/login"))
    screens.shoot(page, "login-with-provider")
    page.get_by_role("button", name="Sign in with Fake IdP").click()
    expect(page).to_have_url(re.compile(r"/ui/inbox$"))
    expect(page.locator("#who")).to_have_text("olive (agent)")
    expect(page.locator("#inbox-table tbody")).to_contain_text("ITEM-OIDC")
    screens.shoot(page, "inbox-after-sign-in")
    [request] = fake_idp.token_requests
    assert request["redirect_uri"].endswith("/ui/oidc/callback")
    assert len(request["code_verifier"]) >= 43
    token = page.evaluate("sessionStorage.getItem('flowdesk.apiKey')")
    assert token.count(".") == 2  # the provider's JWT, kept like a pasted one
    assert page.evaluate("sessionStorage.getItem('flowdesk.oidc')") is None  # the verifier is used up


def test_an_answer_with_a_foreign_state_is_refused_and_nothing_kept(open_page, fake_idp):
    page = open_page(width=390, height=844)  # a phone
    page.goto("/ui/login")
    page.evaluate("""sessionStorage.setItem('flowdesk.oidc', JSON.stringify(
        {state: 'the-state-this-tab-made', verifier: 'v'.repeat(64), next: null}))""")
    page.goto("/ui/oidc/callback?code=stolen-code&state=forged-state")
    expect(page.locator("#alert")).to_contain_text("This sign-in was not started here")
    expect(page.get_by_role("link", name="Back to the login page")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('flowdesk.apiKey')") is None
    assert page.evaluate("sessionStorage.getItem('flowdesk.oidc')") is None
    assert fake_idp.token_requests == []  # the code never went to the provider
    expect(page).to_have_url(re.compile(r"/ui/oidc/callback$"))  # the code is out of the address bar


def test_a_code_the_provider_refuses_shows_why(open_page, fake_idp):
    page = open_page()
    page.goto("/ui/login")
    page.evaluate("""sessionStorage.setItem('flowdesk.oidc', JSON.stringify(
        {state: 's1', verifier: 'v'.repeat(64), next: null}))""")
    page.goto("/ui/oidc/callback?code=never-issued&state=s1")
    expect(page.locator("#alert")).to_contain_text("invalid_grant")
    assert page.evaluate("sessionStorage.getItem('flowdesk.apiKey')") is None
    assert len(fake_idp.token_requests) == 1


def test_a_provider_that_cannot_be_reached_is_reported_on_the_login_page(open_page, fake_idp):
    page = open_page()
    page.goto("/ui/login")
    fake_idp.close()
    page.get_by_role("button", name="Sign in with Fake IdP").click()
    expect(page.locator("#alert")).to_contain_text("the identity provider cannot be reached")
    expect(page).to_have_url(re.compile(r"/ui/login$"))
    expect(page.get_by_role("button", name="Sign in with Fake IdP")).to_be_enabled()
