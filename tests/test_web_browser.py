"""``followup serve`` in a real browser: Debian's headless Chromium, driven by Selenium.

The server runs the shipped example in a subprocess on a free loopback port; the
browser clicks through the pages as a person would. Without Chromium and its driver
the tests are skipped, unless ``FOLLOWUP_REQUIRE_BROWSER`` is set (``.ci/run`` sets it
after checking that Chromium starts), where a missing browser fails the run.

``FOLLOWUP_WEB_SCREENSHOTS=DIR`` saves the screenshots docs/web.md shows.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from web_server import NOW, example_copy, serve

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT = 60  # seconds a page may take to appear (a hang guard, not a timing)

if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
    if os.environ.get("FOLLOWUP_REQUIRE_BROWSER"):
        raise RuntimeError(f"the browser tests need {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)")
    pytest.skip("Chromium or chromedriver is not installed", allow_module_level=True)

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    profile = tempfile.mkdtemp(prefix="followup-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _section_keys(driver, section: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [row.get_attribute("data-key") for row in driver.find_elements(By.CSS_SELECTOR, f"section#{section} tr.action")]


def _shoot(driver, name: str) -> None:  # type: ignore[no-untyped-def]
    folder = os.environ.get("FOLLOWUP_WEB_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        height = driver.execute_script("return document.body.scrollHeight")
        driver.set_window_size(1280, min(max(height + 40, 600), 2400))
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))
        driver.set_window_size(1280, 1000)


def _wait_for(driver, css: str) -> object:  # type: ignore[no-untyped-def]
    return WebDriverWait(driver, WAIT).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))


def test_overdue_thank_you_note_explained_marked_done_and_logged(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    state = example_copy(tmp_path)
    key = "thank-you-note:northwind-data:onsite:jonas"
    with serve([str(state), "--now", NOW]) as served:
        browser.get(served.url)
        _wait_for(browser, "section#overdue")
        assert key in _section_keys(browser, "overdue")
        _shoot(browser, "agenda")
        row = browser.find_element(By.CSS_SELECTOR, f'section#overdue tr[data-key="{key}"]')
        assert "Jonas Weber" in row.text
        row.find_element(By.CSS_SELECTOR, "a.explain").click()
        explanation = _wait_for(browser, "#explanation")
        assert browser.find_element(By.ID, "key").text == key
        assert "thank-you-note" in explanation.text and "overdue" in browser.find_element(By.ID, "status").text
        browser.find_element(By.ID, "mark-done").click()
        _wait_for(browser, "section#overdue")
        assert key not in _section_keys(browser, "overdue") + _section_keys(browser, "due")
        browser.get(served.url + "applications/northwind-data")
        _wait_for(browser, "#log")
        _shoot(browser, "application")
    document = yaml.safe_load(state.read_text(encoding="utf-8"))
    northwind = next(a for a in document["applications"] if a["id"] == "northwind-data")
    entry = northwind["contacts"][-1]
    assert entry["action"] == key
    assert entry["kind"] == "thank_you_note" and entry["to"] == "jonas" and entry["interview"] == "onsite"
    assert "# Two interviewers on Thursday" in state.read_text(encoding="utf-8")  # comments kept


def test_reply_with_a_decision_date_changes_the_agenda(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    state = example_copy(tmp_path)
    key = "status-call:bluepeak-platform"
    with serve([str(state), "--now", NOW]) as served:
        browser.get(served.url)
        _wait_for(browser, "section#overdue")
        assert any(k == key or k.startswith(key + ":") for k in _section_keys(browser, "overdue"))
        browser.get(served.url + "applications/bluepeak-platform")
        _wait_for(browser, "#record-reply").click()
        _wait_for(browser, "form#entry")
        _shoot(browser, "reply")
        note = "They will decide by 10 December and call me."
        browser.find_element(By.ID, "f-note").send_keys(note)
        browser.find_element(By.ID, "f-decision_expected_by").send_keys("2026-12-10")
        browser.find_element(By.ID, "save").click()
        _wait_for(browser, "#log")
        assert note in browser.find_element(By.ID, "log").text
        browser.get(served.url)
        _wait_for(browser, "section#overdue")
        assert not any(k == key or k.startswith(key + ":") for k in _section_keys(browser, "overdue"))
    document = yaml.safe_load(state.read_text(encoding="utf-8"))
    bluepeak = next(a for a in document["applications"] if a["id"] == "bluepeak-platform")
    reply = bluepeak["contacts"][-1]
    assert reply["kind"] == "reply" and reply["direction"] == "in" and reply["note"] == note
    assert str(reply["decision_expected_by"]).startswith("2026-12-10")


def test_a_bad_date_shows_the_form_again_and_writes_nothing(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    state = example_copy(tmp_path)
    before = state.read_text(encoding="utf-8")
    with serve([str(state), "--now", NOW]) as served:
        browser.get(served.url + "applications/bluepeak-platform/reply")
        field = _wait_for(browser, "#f-at")
        field.clear()
        field.send_keys("2026-13-45")
        browser.find_element(By.ID, "f-note").send_keys("kept on the form")
        browser.find_element(By.ID, "save").click()
        problems = _wait_for(browser, "#problems")
        assert "2026-13-45" in problems.text
        assert browser.find_element(By.ID, "f-note").get_attribute("value") == "kept on the form"
    assert state.read_text(encoding="utf-8") == before


def test_a_post_without_the_csrf_token_is_refused(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    state = example_copy(tmp_path)
    before = state.read_text(encoding="utf-8")
    key = "thank-you-note:northwind-data:onsite:jonas"
    with serve([str(state), "--now", NOW]) as served:
        browser.get(served.url + f"actions/{key}")
        _wait_for(browser, "#done-form")
        browser.execute_script("document.querySelector('#done-form input[name=csrf]').remove()")
        browser.find_element(By.ID, "mark-done").click()
        WebDriverWait(browser, WAIT).until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Refused"))
        assert "CSRF" in browser.find_element(By.CSS_SELECTOR, ".problems").text
        browser.get(served.url)
        _wait_for(browser, "section#overdue")
        assert key in _section_keys(browser, "overdue")
    assert state.read_text(encoding="utf-8") == before
