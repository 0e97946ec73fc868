"""The web app in a real browser: Debian's Chromium driven by Playwright, headless.

One uvicorn server (in a thread, on the shared test store) and one browser for
the whole module; each test gets a fresh batch and a fresh browser context
(its own cookies). Set README_SCREENSHOTS=docs/screenshots to refresh the
README's screenshots; otherwise they go to the test's temp folder.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.web.app import create_app
from tests.agent.web.conftest import PASSWORD, SECRET, seed_batch

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():  # pragma: no cover - `make test` installs it
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)

XSS_MARK = "xss-"


@pytest.fixture(scope="module")
def server(web_engine) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port; its base URL."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        create_app(web_engine, SECRET), host="127.0.0.1", port=port, log_level="warning"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """One headless Chromium for the module."""
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where screenshots go."""
    folder = Path(os.environ.get("README_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Session:
    """One browser context logged in as one account, with console and dialog hooks."""

    def __init__(self, browser, base: str, name: str, **context_options) -> None:
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900}, accept_downloads=True, **context_options
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(10_000)
        self.base = base
        self.console: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.console.append(m.text))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.goto(f"{base}/login")
        self.page.fill("input[name=name]", name)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{base}/")

    def goto(self, path: str):
        return self.page.goto(self.base + path)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def session(browser, server) -> Iterator:
    """A factory of logged-in browser sessions."""
    opened: list[Session] = []

    def make(name: str, **options) -> Session:
        s = Session(browser, server, name, **options)
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.close()


def test_login_page_and_a_wrong_password(browser, server, shots) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 700})
    page = context.new_page()
    page.goto(f"{server}/batches/b-00000000")  # not logged in: sent to the login page
    assert page.url.startswith(f"{server}/login?next=")
    page.fill("input[name=name]", "ana")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text() == "Wrong name or password."
    page.screenshot(path=str(shots / "login.png"))
    context.close()


def test_review_a_variant_and_approve_it(session, web_engine, shots) -> None:
    batch_id = seed_batch(web_engine)
    ana = session("ana")
    ana.goto(f"/batches/{batch_id}")
    assert "0 of 54 drafts decided" in ana.page.inner_text("main")
    ana.page.screenshot(path=str(shots / "batch.png"), full_page=True)
    ana.page.click("text=v-streak")
    main = ana.page.locator("main")
    assert "{{ first_name }}" in main.inner_text()
    assert ana.page.locator("article.message").count() >= 5
    assert ana.page.locator("mark.sev-warn").count() >= 1  # findings highlighted in place
    ana.page.screenshot(path=str(shots / "variant.png"), full_page=True)
    ana.page.click("button:has-text('Approve variant')")
    assert "Variant approved for 8 users" in ana.page.inner_text("[role=status]")
    assert "Decided: approved by ana" in ana.page.inner_text("#decision")


def test_edit_is_rechecked_and_own_edit_cannot_be_approved(session, web_engine, shots) -> None:
    batch_id = seed_batch(web_engine)
    ana = session("ana")
    ana.goto(f"/batches/{batch_id}/variants/v-knee")
    assert ana.page.locator("mark.sev-block").count() >= 1
    ana.page.locator("article.message a").first.click()
    ana.page.fill(
        "textarea[name=body]",
        "Hi there, new yoga classes are on the timetable. "
        "You can unsubscribe from these e-mails at any time.",
    )
    ana.page.click("button:has-text('Save and re-check')")
    assert "re-checked by the guardrails: verdict pass" in ana.page.inner_text("#done")
    ana.page.screenshot(path=str(shots / "edit-rechecked.png"), full_page=True)
    ana.page.click("button:has-text('Approve')")
    assert "Four-eyes: you cannot approve" in ana.page.inner_text("main")
    ana.page.screenshot(path=str(shots / "four-eyes.png"))


def test_reject_a_variant_with_a_reason(session, web_engine) -> None:
    batch_id = seed_batch(web_engine)
    bob = session("bob")
    bob.goto(f"/batches/{batch_id}/variants/v-owl")
    bob.page.select_option("select[name=reason_code]", "off brand")
    bob.page.fill("input[name=reason_text]", "too chummy for our voice")
    bob.page.click("button:has-text('Reject variant')")
    assert "Variant rejected for 12 users" in bob.page.inner_text("[role=status]")
    bob.goto(f"/batches/{batch_id}/audit")
    assert "off brand: too chummy for our voice" in bob.page.inner_text("main")


def test_marketer_exports_approved_drafts(session, web_engine, shots) -> None:
    batch_id = seed_batch(web_engine)
    ana = session("ana")
    ana.goto(f"/batches/{batch_id}/variants/v-calm")
    ana.page.click("button:has-text('Approve variant')")
    mia = session("mia")
    mia.goto(f"/batches/{batch_id}")
    mia.page.check("input[name=partial]")
    with mia.page.expect_download() as info:
        mia.page.click("button:has-text('Download approved drafts')")
    path = info.value.path()
    lines = Path(path).read_text().splitlines()
    assert lines[0].startswith("user_id,channel,address") and len(lines) == 9
    assert info.value.suggested_filename == f"{batch_id}-approved.csv"


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["with-csp", "escaping-only"])
def test_xss_payloads_do_not_execute(session, web_engine, bypass_csp) -> None:
    """Escaping alone must hold (the CSP bypassed), and the CSP on top of it."""
    batch_id = seed_batch(web_engine)
    ana = session("ana", bypass_csp=bypass_csp)
    ana.page.add_init_script("window.__xss = []; console.log('hook-ready');")
    for path in (f"/batches/{batch_id}", f"/batches/{batch_id}/variants/v-xss"):
        ana.goto(path)
        ana.page.wait_for_load_state("load")
        main = ana.page.locator("main")
        assert ana.page.locator("main script").count() == 0
        assert ana.page.locator("main img").count() == 0
        assert ana.page.locator("main a[href^='javascript']").count() == 0
        assert ana.page.locator("main b[onmouseover]").count() == 0
    text = main.inner_text()
    assert "<script>console.log('xss-script')</script>" in text  # shown as text
    assert "<img src=x onerror=" in text
    ana.page.hover("text=Night owls")  # the segment name's payload needed a mouseover
    assert "hook-ready" in ana.console  # the console hook works...
    assert not [m for m in ana.console if XSS_MARK in m]  # ...and nothing injected ran
    assert ana.dialogs == []
