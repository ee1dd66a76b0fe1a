#!/bin/sh
# Start the marimo server for the curated analysis notebooks: the image's command, and runnable without Docker
# from a checkout (`PYTHON=.venv/bin/python docker/marimo/serve.sh --port 7860`).
# Flags and environment variables are documented in src/mplat/server/launch.py and docs/server-tier.md.
set -eu

# The image copies the repository layout under /app, so the same relative paths work in both places.
root="$(cd "$(dirname "$0")/../.." && pwd)"
export PYTHONPATH="${root}/src${PYTHONPATH:+:${PYTHONPATH}}"
: "${MPLAT_NOTEBOOKS_DIR:=${root}/notebooks/analysis}"
: "${SAMPLE_DATA_DIR:=${root}/data/examples}"
export MPLAT_NOTEBOOKS_DIR SAMPLE_DATA_DIR

exec "${PYTHON:-python3}" -m mplat.server "$@"
