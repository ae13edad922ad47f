"""The dashboard and the chat page, clicked through in headless Chromium.

The browser does what a developer does; the test checks the other side over plain HTTP:
a token minted on the page works (and stops working when the page moves the clock), the
journal on the page shows what the test sent, and a message typed on the chat page meets
a reply posted through the REST API.  Screenshots land in test-artifacts/.
"""
from __future__ import annotations

import json
import re

import jwt as pyjwt
import requests

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) and says what to install
    expect = None


def journal_row(page, *, path: str, status: int):
    return page.locator(f'[data-testid="journal-row"][data-path="{path}"][data-status="{status}"]')


def mint_on_the_page(page, key_id: str, *, expires_in: int) -> str:
    page.get_by_test_id("mint-key").select_option(key_id)
    expect(page.get_by_test_id("mint-scope")).to_have_value("app")  # the app key's own scope
    page.get_by_test_id("mint-expires").fill(str(expires_in))
    page.get_by_test_id("mint-submit").click()
    expect(page.get_by_test_id("minted")).to_be_visible()
    return page.get_by_test_id("minted-token").text_content()


def test_the_pages_come_from_the_mock_and_stay_out_of_the_journal(mocksmooch):
    """Plain HTTP: what the browser tests rely on, checked without a browser."""
    for path in ("/_mocksmooch/", "/_mocksmooch/chat"):
        page = requests.get(mocksmooch.url + path, timeout=10)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        # Only the mock's own origin: no CDN, no inline script, nothing from the internet.
        assert "default-src 'self'" in page.headers["Content-Security-Policy"]
        assert not re.search(r'(src|href)="(https?:)?//', page.text)
        for asset in re.findall(r'(?:src|href)="(assets/[^"]+)"', page.text):
            assert requests.get(f"{mocksmooch.url}/_mocksmooch/{asset}", timeout=10).status_code == 200
    script = requests.get(mocksmooch.url + "/_mocksmooch/assets/dashboard.js", timeout=10)
    assert "javascript" in script.headers["Content-Type"]
    assert requests.get(mocksmooch.url + "/_mocksmooch/assets/__init__.py", timeout=10).status_code == 404
    assert mocksmooch.requests.all() == []  # the journal is for the Smooch API routes
    bare = requests.get(mocksmooch.url + "/_mocksmooch", allow_redirects=False, timeout=10)
    assert bare.status_code in (301, 308) and bare.headers["Location"].endswith("/_mocksmooch/")


def test_a_token_minted_on_the_dashboard_works_and_its_request_shows_in_the_journal(ui, mocksmooch):
    page = ui.open("/_mocksmooch/")
    app_id = mocksmooch.apps["Acme Support"]["id"]
    key = mocksmooch.keys["Acme Support"]

    minted_at = mocksmooch.clock.now.timestamp()
    token = mint_on_the_page(page, key["id"], expires_in=600)

    # The page decoded the token's header and claims itself; they are the token's own.
    header = json.loads(page.get_by_test_id("minted-header").text_content())
    claims = json.loads(page.get_by_test_id("minted-claims").text_content())
    assert header == pyjwt.get_unverified_header(token) and header["kid"] == key["id"] and header["alg"] == "HS256"
    assert claims == pyjwt.decode(token, options={"verify_signature": False})
    assert claims["scope"] == "app"
    assert 0 <= claims["exp"] - (int(minted_at) + 600) <= 2  # 600 s from the server's clock
    expect(page.get_by_test_id("minted-expiry")).to_have_attribute("data-state", "valid")

    path = f"/v2/apps/{app_id}/users/alice"
    response = requests.get(mocksmooch.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200
    assert response.json()["user"]["externalId"] == "alice"

    row = journal_row(page, path=path, status=200)
    expect(row).to_have_count(1)  # the journal refreshes by itself, about every second
    expect(row.get_by_test_id("journal-method")).to_have_text("GET")
    expect(row.get_by_test_id("journal-outcome")).to_have_text("allowed")
    expect(row.get_by_test_id("journal-reason")).to_contain_text(f"app key {key['id']} via jwt")
    expect(row.get_by_test_id("journal-credential")).to_contain_text(key["id"])

    # Secrets stay hidden until asked for.
    key_row = page.locator(f'[data-testid="key-row"][data-key-id="{key["id"]}"]')
    secret = key_row.get_by_test_id("key-secret")
    expect(secret).not_to_contain_text(key["secret"])
    key_row.get_by_test_id("key-reveal").click()
    expect(secret).to_have_text(key["secret"])
    ui.assert_clean()


def test_advancing_the_clock_on_the_dashboard_expires_the_token(ui, mocksmooch):
    page = ui.open("/_mocksmooch/")
    app_id = mocksmooch.apps["Acme Support"]["id"]
    token = mint_on_the_page(page, mocksmooch.keys["Acme Support"]["id"], expires_in=60)
    path = f"/v2/apps/{app_id}/users/alice"
    headers = {"Authorization": f"Bearer {token}"}
    assert requests.get(mocksmooch.url + path, headers=headers, timeout=10).status_code == 200
    before = mocksmooch.clock.now.timestamp()

    page.get_by_test_id("clock-advance-3600").click()  # "+1 h"
    expect(page.get_by_test_id("minted-expiry")).to_have_attribute("data-state", "expired")
    expect(page.get_by_test_id("minted-expiry")).to_contain_text("expired")
    assert mocksmooch.clock.now.timestamp() - before >= 3600  # the server's clock moved, not the page's

    response = requests.get(mocksmooch.url + path, headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.json() == {"errors": [{"code": "unauthorized", "title": "Authorization is required"}]}

    rejected = journal_row(page, path=path, status=401)
    expect(rejected).to_have_count(1)
    expect(rejected.get_by_test_id("journal-outcome")).to_have_text("rejected")
    expect(rejected.get_by_test_id("journal-reason")).to_contain_text(re.compile(r"jwt expired at \S+, server time"))
    expect(journal_row(page, path=path, status=200)).to_have_count(1)  # the earlier success is still listed
    ui.screenshot("dashboard.png")

    # The filter keeps the entries with every word, and drops those with a -word.
    page.get_by_test_id("journal-filter").fill("alice expired")
    expect(page.get_by_test_id("journal-row")).to_have_count(1)
    expect(rejected).to_have_count(1)
    page.get_by_test_id("journal-filter").fill("alice -expired")
    expect(page.get_by_test_id("journal-row")).to_have_count(1)
    expect(journal_row(page, path=path, status=200)).to_have_count(1)
    page.get_by_test_id("journal-filter").fill("")
    expect(page.get_by_test_id("journal-row")).to_have_count(2)

    # Freeze, then reset: the clock goes back to running from the start and the journal empties.
    page.get_by_test_id("clock-freeze").click()
    expect(page.get_by_test_id("clock-frozen")).to_be_visible()
    assert mocksmooch.clock.frozen
    page.get_by_test_id("reset-button").click()
    expect(page.get_by_test_id("journal-row")).to_have_count(0)
    expect(page.get_by_test_id("clock-frozen")).to_be_hidden()
    assert not mocksmooch.clock.frozen and mocksmooch.clock.now.timestamp() - before < 600
    ui.assert_clean()


def test_chat_page_logs_in_through_the_sdk_and_shows_a_rest_reply(ui, mocksmooch):
    page = ui.open("/_mocksmooch/chat")
    app = mocksmooch.apps["Acme Support"]
    site = mocksmooch.integrations["site"]
    key = mocksmooch.keys["Acme Support"]

    page.get_by_test_id("chat-integration").select_option(site["id"])
    page.get_by_test_id("chat-user").select_option("alice")
    page.get_by_test_id("chat-login").click()
    expect(page.locator("body")).to_have_attribute("data-logged-in", "true")
    expect(page.get_by_test_id("chat-status")).to_have_text("logged in as alice")
    conversation_id = page.get_by_test_id("session-conversation").text_content()
    assert page.get_by_test_id("session-app-user").text_content() == mocksmooch.user("alice", app="Acme Support")["id"]

    page.get_by_test_id("chat-input").fill("Hello from alice's browser")
    page.get_by_test_id("chat-send").click()
    mine = page.get_by_test_id("chat-message").filter(has_text="Hello from alice's browser")
    expect(mine).to_have_count(1)
    expect(mine).to_have_attribute("data-role", "appUser")

    # The business answers through the REST API, with the app's key, as a backend would.
    messages = f"{mocksmooch.url}/v2/apps/{app['id']}/conversations/{conversation_id}/messages"
    listed = requests.get(messages, auth=(key["id"], key["secret"]), timeout=10).json()["messages"]
    assert [m["content"]["text"] for m in listed] == ["Hello from alice's browser"]  # the same conversation
    reply = requests.post(messages, auth=(key["id"], key["secret"]), timeout=10, json={
        "author": {"type": "business"}, "content": {"type": "text", "text": "Hi Alice, Acme Support here"}})
    assert reply.status_code == 201, reply.text

    theirs = page.get_by_test_id("chat-message").filter(has_text="Hi Alice, Acme Support here")
    expect(theirs).to_have_count(1)  # the page polls the SDK API about every second
    assert theirs.get_attribute("data-role") in ("appMaker", "business")
    expect(page.get_by_test_id("chat-message")).to_have_count(2)

    # The page's own "reply as the business" form makes the same REST call, from the browser.
    page.get_by_test_id("reply-text").fill("Anything else?")
    page.get_by_test_id("reply-send").click()
    expect(page.get_by_test_id("chat-message")).to_have_count(3)
    expect(page.get_by_test_id("chat-message").last).to_contain_text("Anything else?")
    mocksmooch.requests.assert_called("POST", f"/v2/apps/{app['id']}/conversations/{conversation_id}/messages",
                                      status=201, outcome="allowed", times=2)
    ui.screenshot("chat.png")

    # The page's calls went through /sdk/v2, with the user's JWT: the journal says so.
    [login] = mocksmooch.requests.find("POST", f"/sdk/v2/apps/{app['id']}/login")
    assert login["status"] == 200 and login["auth"]["outcome"] == "allowed"
    ui.assert_clean()
