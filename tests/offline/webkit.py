"""Driving WebKitGTK through Selenium: waiting on page state, and marimo's slider inside shadow roots."""

from __future__ import annotations

import time
from typing import Any

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

BOOT_TIMEOUT_S = 600  # Pyodide boots in ~11 s alone in WebKitGTK; the CI machine is shared

# JS: focus the first [role=slider], looking inside shadow roots (marimo's UI elements live there).
FOCUS_SLIDER_JS = """
const find = (root) => {
  for (const el of root.querySelectorAll("*")) {
    if (el.getAttribute("role") === "slider") return el;
    const inner = el.shadowRoot && find(el.shadowRoot);
    if (inner) return inner;
  }
  return null;
};
const slider = find(document);
if (slider) slider.focus();
return Boolean(slider);
"""
KERNEL_READY_JS = "return document.documentElement.getAttribute('data-mplat-kernel') === 'ready'"
KERNEL_IDLE_JS = (
    "return document.querySelectorAll('.marimo-output-loading, .marimo-output-stale').length === 0"
)
OUTPUT_TEXTS_JS = """return [...document.querySelectorAll('.output-area')]
  .filter(e => !e.querySelector('marimo-slider, marimo-dropdown, marimo-number, marimo-file, [role=slider]'))
  .map(e => e.innerText.trim())"""
# JS: every resource this document loaded that did not come from its own origin.
FOREIGN_RESOURCES_JS = """return performance.getEntriesByType('resource').map(e => e.name)
  .filter(n => !n.startsWith(location.origin) && !n.startsWith('data:') && !n.startsWith('blob:'))"""


def wait_for(driver: Any, script: str, timeout_s: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = driver.execute_script(script)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what or script}")
        time.sleep(0.25)


def enter_notebook_frame(driver: Any) -> None:
    frame = driver.find_element(By.CSS_SELECTOR, "iframe.mplat-notebook__frame")
    driver.switch_to.frame(frame)


def wait_for_kernel(driver: Any, stable_s: float = 2.0) -> list[str]:
    """In the notebook frame: a slider exists, nothing is loading, and the computed outputs are shown and
    have stopped changing; returns them."""
    wait_for(driver, FOCUS_SLIDER_JS, BOOT_TIMEOUT_S, "a slider")
    # Outputs computed at build time show before Python boots; the app page says when it has run.
    wait_for(driver, KERNEL_READY_JS, BOOT_TIMEOUT_S, "the kernel (data-mplat-kernel=ready)")
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    last, since = None, time.monotonic()
    while time.monotonic() < deadline:
        outputs = driver.execute_script(OUTPUT_TEXTS_JS)
        if outputs != last or not any(outputs) or not driver.execute_script(KERNEL_IDLE_JS):
            last, since = outputs, time.monotonic()
        elif time.monotonic() - since >= stable_s:
            return outputs
        time.sleep(0.25)
    raise AssertionError(f"the notebook's outputs did not settle; last: {last!r}")


def move_slider_and_wait_for_change(driver: Any, before: list[str], timeout_s: float = 120) -> list[str]:
    assert driver.execute_script(FOCUS_SLIDER_JS)
    ActionChains(driver).send_keys(Keys.ARROW_RIGHT).send_keys(Keys.ARROW_RIGHT).perform()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now = driver.execute_script(OUTPUT_TEXTS_JS)
        if now != before and driver.execute_script(KERNEL_IDLE_JS):
            return now
        time.sleep(0.2)
    raise AssertionError(f"no output changed after moving the slider; outputs: {before!r}")
