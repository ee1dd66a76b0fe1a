"""The one naming convention: `mplat-{env}-{service}-{resource-type}`.

Every resource name in `infra/` comes from here, so a rename is a one-line change and names never drift
between the service that creates a resource and the code (Chalice, Fargate, scripts) that uses it.
"""

from __future__ import annotations

import re

PROJECT = "mplat"
_PART = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def name(env: str, service: str, resource_type: str) -> str:
    """`mplat-{env}-{service}-{resource-type}`, e.g. `name("dev", "iam", "ingest-role")`."""
    for label, part in (("env", env), ("service", service), ("resource_type", resource_type)):
        if not _PART.match(part):
            raise ValueError(f"{label} {part!r} must be lower-case letters, digits and dashes")
    return f"{PROJECT}-{env}-{service}-{resource_type}"


def bucket_name(env: str, service: str, resource_type: str, account_id: str) -> str:
    """S3 names are global: the account id makes them unique (`mplat-dev-storage-raw-123456789012`)."""
    return f"{name(env, service, resource_type)}-{account_id}"


def raw_bucket(env: str, account_id: str) -> str:
    return bucket_name(env, "storage", "raw", account_id)


def derived_bucket(env: str, account_id: str) -> str:
    return bucket_name(env, "storage", "derived", account_id)


def site_bucket(env: str, account_id: str) -> str:
    return bucket_name(env, "site", "bucket", account_id)


# Secrets Manager names are paths, not dashed names (the contract fixes them).
def ingest_secret(env: str, source: str) -> str:
    return f"{PROJECT}/{env}/ingest/{source}"


def onprem_secret(env: str, device: str) -> str:
    return f"{PROJECT}/{env}/onprem/{device}"


def okta_secret(env: str) -> str:
    return f"{PROJECT}/{env}/okta/client"


# IAM roles and users (service "iam"); other helpers import these instead of re-deriving names.
def role_name(env: str, role: str) -> str:
    """role is one of: ingest-lambda, transform-lambda, fargate-execution, fargate-task."""
    return name(env, "iam", f"{role}-role")


def role_arn(env: str, role: str, account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:role/{role_name(env, role)}"


def onprem_user(env: str, device: str) -> str:
    return name(env, "iam", f"onprem-{device}")


# Chalice's Lambdas. Chalice names them `{app_name}-{stage}-{function}` (app `mplat`, stage = env), so the
# function names below make them `mplat-{env}-ingest-<source>-function` and `mplat-{env}-transform-raw-function`.
# chalice_app/chalicelib/stage.py builds the same names (the app cannot import infra); a test ties the two.
def ingest_function(source: str) -> str:
    """The Chalice function (a key of the stage's `lambda_functions`) that ingests `source`."""
    return f"ingest-{source.replace('_', '-')}-function"


TRANSFORM_FUNCTION = "transform-raw-function"


def lambda_function(env: str, function: str) -> str:
    """The Lambda's name: `mplat-{env}-{function}` (`{app_name}-{stage}-{function}`)."""
    return name(env, *function.split("-", 1))


def lambda_log_group(env: str, function: str) -> str:
    """Lambda writes to `/aws/lambda/<name>`; infra creates it first so it carries the tags (Chalice cannot)."""
    return f"/aws/lambda/{lambda_function(env, function)}"
