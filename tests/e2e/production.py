"""The headers CloudFront is configured to send, for the browser tests (issue 16: what production sends is
what the tests see). Derived from the response-headers policy document `python -m infra apply` writes."""

from __future__ import annotations

from urllib.parse import urlsplit

from infra.config import load_config
from infra.services.site import headers_policy_config, headers_sent
from mplat.gallery.site_headers import SitePolicy

PRODUCTION_ENV = "prod"


def cloudfront_headers(policy: SitePolicy | None = None) -> dict[str, str]:
    """What CloudFront adds to every response for `policy` (default: the prod env's configuration)."""
    if policy is None:
        policy = load_config(PRODUCTION_ENV).site.policy
    return headers_sent(headers_policy_config("mplat-test-site-headers", policy))


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# JS for `context.add_init_script`: records Content-Security-Policy violations of every document (pages and
# frames) in `window.__cspViolations`, so a test can show what the policy refused.
CSP_VIOLATIONS_SCRIPT = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.effectiveDirective} ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
});
"""
