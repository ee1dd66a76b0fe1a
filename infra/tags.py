"""The tag set every taggable resource carries, and conversions between AWS's two tag shapes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from infra.config import EnvConfig
from infra.naming import PROJECT

MANAGED_BY = "mplat-infra"


def standard_tags(config: EnvConfig, component: str) -> dict[str, str]:
    return {
        "Project": PROJECT,
        "Environment": config.env,
        "ManagedBy": MANAGED_BY,
        "Owner": config.project.owner,
        "CostCenter": config.project.cost_center,
        "Component": component,
        "IaC": "boto3",
        "Repository": config.project.repository,
    }


def is_managed(tags: Mapping[str, str], env: str) -> bool:
    """Destroy only touches what this tool created for this env."""
    return tags.get("ManagedBy") == MANAGED_BY and tags.get("Environment") == env


def to_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """`{"Key": k, "Value": v}` items (S3, IAM, Secrets Manager, CloudFront)."""
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def from_list(items: Iterable[Mapping[str, str]]) -> dict[str, str]:
    return {item["Key"]: item["Value"] for item in items}
