"""secrets (being written)."""

from __future__ import annotations

from infra.engine import Action, Context

NAME = "secrets"


def plan(ctx: Context) -> list[Action]:
    return []


def plan_destroy(ctx: Context, *, force_data_loss: bool) -> list[Action]:
    return []
