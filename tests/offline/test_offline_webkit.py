"""The offline acceptance in WebKit (the engine of Safari on iPad), through WebKitGTK's WebDriver:
"Make available offline", stop the server, and every demo still opens, runs and reacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from selenium.webdriver.common.by import By

from mplat.gallery.discover import discover
from mplat.gallery.preview import SiteServer

from .webkit import (
    BOOT_TIMEOUT_S,
    FOREIGN_RESOURCES_JS,
    enter_notebook_frame,
    move_slider_and_wait_for_change,
    wait_for,
    wait_for_kernel,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
SLUGS = [nb.slug for nb in discover(REPO_ROOT / "notebooks" / "demos")]
PANEL_STATE_JS = "return document.querySelector('.mplat-offline') && document.querySelector('.mplat-offline').dataset.state"
PYTHON_STARTED_JS = "return document.documentElement.getAttribute('data-mplat-python')"
SNAPSHOT_STORED_JS = "return document.documentElement.getAttribute('data-mplat-memory-snapshot') === 'stored'"
CARD_STATES_JS = "return [...document.querySelectorAll('li.mplat-card[data-tier=browser]')].map(c => c.dataset.offline || '')"


def test_gallery_offline_in_webkit_every_notebook_runs_with_the_server_stopped(
    built_site: Path, webkit: Any
) -> None:
    driver = webkit
    server = SiteServer(built_site).start()
    try:
        driver.get(f"{server.url}gallery/")
        assert wait_for(driver, PANEL_STATE_JS, 120, "the offline panel") == "online"
        button = driver.find_element(By.CSS_SELECTOR, ".mplat-offline__button")
        assert button.text == "Make available offline"
        button.click()
        wait_for(
            driver, "return document.querySelector('.mplat-offline__progress').innerText.includes(' of ')"
        )
        wait_for(driver, f"return {PANEL_STATE_JS[7:]} === 'ready'", BOOT_TIMEOUT_S, "'Available offline'")
        assert button.text == "Available offline"
    finally:
        server.stop()

    driver.refresh()
    assert wait_for(driver, PANEL_STATE_JS, 120, "the offline panel") == "ready"
    assert driver.execute_script(CARD_STATES_JS) == ["ready"] * len(SLUGS)
    foreign = list(driver.execute_script(FOREIGN_RESOURCES_JS))
    started: list[str] = []
    for slug in SLUGS:
        driver.get(f"{server.url}gallery/{slug}/")
        assert driver.execute_script("return self.crossOriginIsolated") is True
        foreign += driver.execute_script(FOREIGN_RESOURCES_JS)
        enter_notebook_frame(driver)
        before = wait_for_kernel(driver)
        assert any(before), f"{slug}: no computed output offline"
        started.append(driver.execute_script(PYTHON_STARTED_JS))
        if started[-1] == "made-snapshot":  # kept for the next notebooks before this page closes
            wait_for(driver, SNAPSHOT_STORED_JS, 60, "the memory snapshot stored")
        move_slider_and_wait_for_change(driver, before)
        foreign += driver.execute_script(FOREIGN_RESOURCES_JS)
        driver.switch_to.default_content()
    assert foreign == [], f"resources from other origins: {foreign[:5]}"
    # Python started from the memory snapshot in WebKit too, offline (memory_snapshot.py): the first
    # notebook's boot made it (unless an earlier visit had), the next ones restored it.
    assert set(started) <= {"made-snapshot", "restored"} and "restored" in started, started
