"""Server notebooks (`notebooks/analysis/`) in the gallery: what they are told at build time, where "Open"
goes, and the words their cards and pages show.

They run on the marimo server tier (Fargate, behind the sign-in), not in the browser: the build runs each one
once on CPython against the shipped sample data (`marimo export html-wasm --execute`, cached like the
demos' exports) and publishes that as a read-only preview at `apps/<slug>.html`, whose Python never starts.
The server opens one notebook by path: `<server_url>?file=<name>.py` (marimo's run mode over a folder,
`docker/marimo/serve.sh`).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlsplit

from .errors import GalleryError
from .model import Notebook

# Their cards' and pages' words are in messages.py under `tier.`.

# Run the notebook at build time (its outputs are the preview); run mode hides the code.
PREVIEW_EXPORT_OPTIONS = ("--mode", "run", "--execute", "--no-sandbox")
# An address nothing listens on: if a notebook ever tried S3 at build time, it fails at once, locally.
NO_AWS = "http://127.0.0.1:9"


def normalise_server_url(url: str) -> str:
    """`https://marimo.example.com` → `https://marimo.example.com/`; empty stays empty (no server)."""
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise GalleryError(
            f"server_url {url!r} is not the server tier's address; give its https:// URL, e.g. "
            "https://marimo.example.com/ (python -m infra server-url --env prod prints it)"
        )
    return url if url.endswith("/") else url + "/"


def open_url(server_url: str, nb: Notebook) -> str | None:
    """Where "Open" goes: that notebook on the server (None without a server)."""
    return f"{server_url}?file={quote(nb.path.name)}" if server_url else None


def preview_environment(cache_dir: Path, sample_data_dir: Path | None) -> tuple[tuple[str, str], ...]:
    """What a server notebook reads at build time (`mplat.server.notebook_env`): no buckets, so it shows the
    sample data ("Using demo data") and never reaches AWS, and a scratch folder inside the build cache."""
    env = {
        "MPLAT_ENV": "preview",
        "RAW_BUCKET": "",
        "DERIVED_BUCKET": "",
        "SCRATCH_DIR": str(cache_dir / "server-preview-scratch"),
        "AWS_ENDPOINT_URL": NO_AWS,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if sample_data_dir is not None:
        env["SAMPLE_DATA_DIR"] = str(sample_data_dir.resolve())
    return tuple(sorted(env.items()))
