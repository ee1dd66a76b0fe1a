"""Lighthouse (issue 19): accessibility, best practices, SEO and performance of `/`, `/gallery/` and one
notebook page of the demo site, on Lighthouse's mobile preset (emulated phone, simulated slow 4G), run
against Debian's Chromium; and whether Chromium finds the site installable.

Lighthouse 12 (the release that runs on Node 20; 13 wants Node 22) no longer has an installability audit, so
that check asks Chromium itself (`Page.getInstallabilityErrors`, what its install prompt relies on).
`/` (a plain page, no notebook) is the reference the notebook page is compared with in the same run;
marimo's app page alone (`apps/<slug>.html`) cannot be one: Lighthouse 12 stops on it with "Waiting for
DevTools protocol response has exceeded the allotted time (Network.getResponseBody)". Targets:
accessibility >= 95, best practices >= 95, installable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LIGHTHOUSE = REPO / "node_modules" / "lighthouse" / "cli" / "index.js"
CATEGORIES = ("accessibility", "best-practices", "seo", "performance")
NOTEBOOK = "solar-calculator"
ATTEMPTS = 2  # a page Lighthouse could not finish is run once more, then reported as such
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking "
    "--disable-component-update --disable-sync"
)


def _build(site: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    cmd = [str(BIN / "mkdocs"), "build", "--site-dir", str(site)]
    result = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-3000:])


def lighthouse(url: str, out: Path) -> dict:
    """One Lighthouse run (mobile preset); the categories' scores (0-100) and the failing weighted audits."""
    cmd = [
        "node", str(LIGHTHOUSE), url, "--output=json", f"--output-path={out}", "--quiet",
        "--chrome-path=/usr/bin/chromium", f"--chrome-flags={CHROME_FLAGS}",
        f"--only-categories={','.join(CATEGORIES)}",
    ]  # fmt: skip
    for _ in range(ATTEMPTS):
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if done.returncode == 0:
            break
    else:  # e.g. "Waiting for DevTools protocol response has exceeded the allotted time" on a busy machine
        return {"error": (done.stdout + done.stderr).strip().splitlines()[-1][:200]}
    report = json.loads(out.read_text())
    scores = {name: round(report["categories"][name]["score"] * 100) for name in CATEGORIES}
    failing = sorted(
        {
            ref["id"]
            for name in CATEGORIES
            if name != "performance"
            for ref in report["categories"][name]["auditRefs"]
            if ref.get("weight") and (report["audits"][ref["id"]].get("score") or 0) < 1
        }
    )
    metrics = {
        key: report["audits"][key]["displayValue"]
        for key in ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time")
    }
    return {"scores": scores, "failing": failing, "metrics": metrics}


def installability_errors(url: str) -> list[str]:
    """What Chromium says stands between the page and "Install app" (empty: installable)."""
    sys.path.insert(0, str(REPO / "tests"))
    from e2e.browser import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    # A profile on disk: Chromium never offers to install from an incognito (in-memory) profile.
    with sync_playwright() as p, tempfile.TemporaryDirectory() as profile:
        browser = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(url, wait_until="load")
        cdp = page.context.new_cdp_session(page)
        deadline = time.monotonic() + 30
        while True:  # the manifest and icons load after the page
            errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
            if not errors or time.monotonic() > deadline:
                break
            time.sleep(1)
        browser.close()
    return [e["errorId"] for e in errors]


def run() -> str:
    from mplat.gallery.preview import SiteServer

    pages = {
        "`/`": "",
        "`/gallery/`": "gallery/",
        f"`/gallery/{NOTEBOOK}/`": f"gallery/{NOTEBOOK}/",
    }
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        _build(site)  # the demo site, as `make site` builds it
        server = SiteServer(site).start()
        try:
            results = {
                name: lighthouse(server.url + path, Path(tmp) / "report.json") for name, path in pages.items()
            }
            install = installability_errors(server.url + "gallery/")
        finally:
            server.stop()

    version = json.loads((LIGHTHOUSE.parents[1] / "package.json").read_text())["version"]
    out = [
        "## Lighthouse: accessibility, best practices, SEO, performance (issue 19)",
        "",
        f"Lighthouse {version}, mobile preset (emulated phone, simulated slow 4G and 4x CPU slowdown), "
        "against `/usr/bin/chromium`; the demo site as `make site` builds it, served locally.",
        "",
        "| page | accessibility | best practices | SEO | performance | FCP / LCP / TBT | audits not passed |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, r in results.items():
        if "error" in r:
            out.append(f"| {name} | Lighthouse could not finish ({ATTEMPTS} tries): {r['error']} | | | | | |")
            continue
        s, m = r["scores"], r["metrics"]
        out.append(
            f"| {name} | {s['accessibility']} | {s['best-practices']} | {s['seo']} | {s['performance']} | "
            f"{m['first-contentful-paint']} / {m['largest-contentful-paint']} / {m['total-blocking-time']} | "
            f"{', '.join(r['failing']) or '–'} |"
        )
    ours = [r["scores"] for r in results.values() if "scores" in r]
    plain = results["`/`"].get("scores", {})
    notebook = results[f"`/gallery/{NOTEBOOK}/`"].get("scores", {})
    met = len(ours) == len(results) and all(
        s["accessibility"] >= 95 and s["best-practices"] >= 95 for s in ours
    )
    out += [
        "",
        f"Installable (Chromium's `Page.getInstallabilityErrors` on `/gallery/`): "
        f"{'yes' if not install else 'no: ' + ', '.join(install)}. "
        f"Targets (accessibility >= 95, best practices >= 95, installable): {'met' if met and not install else 'NOT met'}. "
        + (
            f"The notebook page scores {notebook['performance'] / max(plain['performance'], 1):.2f}x the plain "
            "page `/` in performance (it boots Python in its frame)."
            if plain and notebook
            else ""
        ),
    ]
    return "\n".join(out)
