"""Server tier: the marimo service that runs `notebooks/analysis/` on Fargate.

- `launch`: builds and runs the `marimo run` command (the image's entry point, also runnable without Docker).
- `notebook_env`: the settings notebooks read from environment variables (buckets, scratch, sample data).
- `storage`, `catalog`, `weather`, `status`, `scratch`, `orientation`: the code the notebooks call, kept
  out of the notebooks so it can be tested directly.

Guide: docs/server-tier.md.
"""
