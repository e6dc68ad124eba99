"""The review desk in a real browser: Playwright for Python driving Debian's Chromium
(never `playwright install`). Drafts come from a real espeak-ng dictation and a real
rendered scan through the whole pipeline. Saves the README's screenshots."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.factories import make_dictation, make_scan
from tests.review.conftest import PASSWORD, Desk, make_desk

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
DICTATION = (
    "This is Doctor Alan Grant dictating a progress note on patient Maria Lopez. "
    "Date of birth March fourth, nineteen fifty five. "
    "Medical record number four four seven two one nine. "
    "Assessment: hypertension. The patient denies chest pain."
)
SCAN = (
    "PROGRESS NOTE\n"
    "Patient: SMITH, JOHN   DOB: 01/02/1960   MRN: 558120\n"
    "Date of service: 11/21/2026\n"
    "Dictated by: Dr. Alan Grant\n"
    "ASSESSMENT: Type 2 diabetes mellitus. No fever.\n"
)


@dataclass
class Live:
    desk: Desk
    url: str
    audio_draft: int
    scan_draft: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    if not CHROMIUM.exists() or shutil.which("espeak-ng") is None:
        pytest.fail("Chromium and espeak-ng are needed (scripts/setup.sh installs them)")
    import uvicorn

    from chartdrop.models import upgrade
    from chartdrop.review import create_app

    root = tmp_path_factory.mktemp("desk")
    url = f"sqlite:///{root / 'var' / 'chartdrop.db'}"
    upgrade(url)
    desk = make_desk(root, url)
    audio = desk.draft_from_file(make_dictation(DICTATION, root / "in" / "dictation.wav"))
    scan = desk.draft_from_file(make_scan(SCAN, root / "in" / "scan.png", dpi=150))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(desk.settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the review desk did not start"
    yield Live(desk, f"http://127.0.0.1:{port}", audio, scan)
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live: Live):  # type: ignore[no-untyped-def]
    # bypass_csp: Playwright's wait_for_function evaluates strings, which the desk's
    # Content-Security-Policy (script-src 'self', checked in test_auth.py) forbids.
    context = browser.new_context(
        viewport={"width": 1400, "height": 1000}, base_url=live.url, bypass_csp=True
    )
    page = context.new_page()
    yield page
    context.close()


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def _login(page, username: str, shot: bool = False) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    if shot:
        _shot(page, "login")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def _logout(page) -> None:  # type: ignore[no-untyped-def]
    page.click("form.logout button")
    page.wait_for_url("**/login")


def test_technician_reviews_a_dictation_and_admin_sees_the_approval(page, live: Live) -> None:  # type: ignore[no-untyped-def]
    _login(page, "tech1", shot=True)
    page.wait_for_url("**/queue")
    rows = page.locator("#queue tbody tr[data-href]")
    assert rows.count() == 2
    _shot(page, "queue")
    # keyboard: the first row (oldest: the dictation) is selected; j/k move, Enter opens
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/drafts/{live.audio_draft}")

    # play and seek: click a word, the audio jumps there and the word is highlighted
    page.wait_for_function("document.getElementById('audio').readyState >= 1")
    words = page.locator("#words .w")
    assert words.count() > 10
    target = words.nth(8)
    start = float(target.get_attribute("data-start"))
    assert start > 0.5
    target.click()
    page.wait_for_function(
        f"document.getElementById('audio').currentTime >= {start} - 0.05", timeout=5000
    )
    assert page.locator("#words .w.current").count() == 1
    page.wait_for_function(  # playback moves on, and the highlight follows it
        f"document.getElementById('audio').currentTime > {start} + 0.3", timeout=10000
    )
    page.evaluate("document.getElementById('audio').pause()")
    assert page.locator("#words .w.current").count() == 1
    # evidence: hovering a recognised field marks its span in the text
    field = page.locator("tr.field[data-start]:not([data-start=''])").first
    if field.count():
        field.hover()
        assert page.locator("#evidence-text mark").count() == 1
    _shot(page, "draft-audio")

    # correct a field
    page.fill("#f-mrn", "447220")
    page.click("#save-demographics")
    page.wait_for_load_state()
    assert page.input_value("#f-mrn") == "447220"
    assert page.locator("#demographics").get_by_text("corrected by tech1").count() == 1

    # change a code through the code search (add one if the recogniser found none)
    form = page.locator(".problem .code-form").first
    if not form.count():
        form = page.locator(".add-problem")
        form.locator("input[name=text]").fill("hypertension")
    form.locator(".code-search").fill("essential primary hypertension")
    hit = form.locator(".code-results li[data-code='I10']")
    hit.wait_for(timeout=10000)
    hit.click()
    assert form.locator(".code-input").input_value() == "I10"
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator(".code.chosen", has_text="I10").count() >= 1

    # approve (keyboard a focuses Approve; Enter presses it)
    page.keyboard.press("a")
    page.keyboard.press("Enter")
    page.wait_for_url("**/queue")
    assert "approved" in page.locator(".flash").inner_text()
    assert page.locator(f"a[href='/drafts/{live.audio_draft}']").count() == 0
    _logout(page)

    _login(page, "admin1")
    page.goto("/admin/audit")
    row = page.locator("#audit tbody tr", has_text="approved").first
    assert f"draft #{live.audio_draft}" in row.inner_text()
    assert "tech1" in row.inner_text()
    assert "The audit chain verifies" in page.content()
    _shot(page, "admin-audit")


def test_rejected_scan_reaches_the_physician(page, live: Live) -> None:  # type: ignore[no-untyped-def]
    _login(page, "tech1")
    page.goto(f"/drafts/{live.scan_draft}")
    page.wait_for_selector(".page .box")
    assert page.locator(".page .box").count() > 10
    _shot(page, "draft-scan")
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "reject-reason"
    page.keyboard.type("Please state the date of service and sign the note.")
    page.click("#reject")
    page.wait_for_url("**/queue")
    assert "physician has been notified" in page.locator(".flash").inner_text()
    _logout(page)

    _login(page, "grant")
    page.wait_for_url("**/mine")
    notice = page.locator("#deficiency-notices .notice").first
    assert "Please state the date of service" in notice.inner_text()
    _shot(page, "physician")
    notice.get_by_role("link", name="Reply").click()
    page.fill("textarea[name=body]", "Date of service was 11/21/2026; re-dictating.")
    page.click("#reply button[type=submit]")
    page.wait_for_load_state()
    assert "re-dictating" in page.locator("#notices").inner_text()


OPERATIVE_NOTE = (
    "OPERATIVE REPORT\n"
    "Patient: LOPEZ, MARIA  DOB: 03/04/1955  MRN: 447219\n"
    "Date of service: 11/20/2026\n"
    "Surgeon: Dr. Alan Grant\n"
    "PREOPERATIVE DIAGNOSIS: Left inguinal hernia.\n"
    "POSTOPERATIVE DIAGNOSIS: Left inguinal hernia.\n"
    "DESCRIPTION OF PROCEDURE: The hernia sac was identified and ligated. "
    "No further bleeding was identified. The wound was closed.\n"
)


def test_problems_off_the_chart_are_folded_and_can_be_charted(page, live: Live) -> None:  # type: ignore[no-untyped-def]
    draft_id = live.desk.draft_from_text(OPERATIVE_NOTE, name="operative.txt")
    _login(page, "tech1")
    page.goto(f"/drafts/{draft_id}")
    charted = page.locator("#problems .problem")
    folded = page.locator("#uncharted")
    assert charted.count() == 1 and "inguinal hernia" in charted.first.inner_text()
    assert not folded.locator("table").is_visible()  # folded until opened
    folded.locator("summary").click()
    rows = folded.locator("tr.field")
    assert rows.count() == 3  # the repeated diagnosis, the sac, the bleeding
    rows.filter(has_text="bleeding").first.hover()
    assert page.locator("#evidence-text mark").inner_text() == "bleeding"
    page.locator("#problems").scroll_into_view_if_needed()
    _shot(page, "draft-operative")
    rows.filter(has_text="hernia").last.get_by_role("button", name="Chart it").click()
    page.wait_for_load_state()
    assert page.locator("#problems .problem").count() == 2
    assert page.locator("#uncharted tr.field").count() == 2
