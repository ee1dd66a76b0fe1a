"""The provisioning engine: desired state → planner diff → list of actions → executor.

A plan is data (Chalice's planner/executor split): each `Action` names its service, resource, the attributes
that differ and the API calls it would make (`Action.calls`); `DisplayOnlyExecutor` prints that (`plan`) and
`Executor` runs it (`apply`, `destroy`). Tests inspect plans without running anything.

A service (one module in `infra/services/`) reads what exists, compares it with what the env config asks
for, and returns `Action`s. Nothing is written while planning, so `plan` is always safe. `apply` runs the
actions in order; each action's steps are idempotent writes, so an apply that stopped half-way is finished
by running apply again (the planner re-reads and only the missing part is planned).

`Resource` + `Attribute` cover the common shape "a named resource with independently readable and writable
attributes" (bucket lifecycle, policy, tags, role trust policy, ...): one handler per attribute — read,
compare, write.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal, Protocol, TextIO

from infra.aws import Aws
from infra.config import EnvConfig

Kind = Literal["create", "update", "delete"]
_SYMBOL = {"create": "+", "update": "~", "delete": "-"}


@dataclass(frozen=True)
class Call:
    """One step of an action with the boto3 calls it makes: `<client>.<operation>`, e.g.
    `s3.put_bucket_versioning`; a step of several calls joins them with `+` and names the client once until
    it changes: `iam.delete_role_policy+delete_role`, `iam.create_access_key+secretsmanager.put_secret_value`
    (see `operations`). A step names the calls that write; the reads it makes to find an id or an ETag are
    left out (a step that only reads, to refuse a change AWS cannot make, names that read)."""

    api: str
    run: Callable[[], object] = field(compare=False, repr=False)

    def __call__(self) -> object:
        return self.run()


def api_of(step: Callable[[], object], default: str = "step") -> str:
    """The API call a step makes: a `Call`'s own, a boto3 method's `service.operation` (bare or in a
    `functools.partial`), else the function's name (`default` for a lambda)."""
    if isinstance(step, Call):
        return step.api
    func = step.func if isinstance(step, partial) else step
    name = getattr(func, "__name__", "<lambda>")
    model = getattr(getattr(getattr(func, "__self__", None), "meta", None), "service_model", None)
    if model is not None:
        return f"{model.service_name}.{name}"
    return default if name in ("<lambda>", "create", "write") else name


def operations(api: str) -> tuple[tuple[str, str], ...]:
    """`iam.create_access_key+secretsmanager.put_secret_value+restore_secret` → ((client, operation), ...);
    an operation without a client is the previous one's."""
    found: list[tuple[str, str]] = []
    for part in api.split("+"):
        client, dot, operation = part.rpartition(".")
        if not dot and not found:
            raise ValueError(f"{api!r}: the first call must name its client (`<client>.<operation>`)")
        found.append((client if dot else found[-1][0], operation))
    return tuple(found)


@dataclass(frozen=True)
class Action:
    """One planned change of one resource; `steps` are the API calls, run in order by `apply`."""

    service: str
    kind: Kind
    resource: str  # "<type> <name>", e.g. "s3-bucket mplat-dev-storage-raw-123456789012"
    changes: tuple[str, ...] = ()  # attribute names that differ (never values: they may be secret)
    steps: tuple[Callable[[], object], ...] = field(default=(), compare=False, repr=False)
    # Set by destroy planners when deleting would lose data and --force-data-loss was not given.
    refused: str = ""

    @property
    def calls(self) -> tuple[str, ...]:
        """The API calls `apply` would make, in order (names only, never arguments: they may be secret)."""
        return tuple(api_of(step) for step in self.steps)

    def describe(self) -> str:
        detail = f" ({', '.join(self.changes)})" if self.changes else ""
        if self.refused:
            return f"! refuse {self.service:<9} {self.resource}: {self.refused}"
        return f"{_SYMBOL[self.kind]} {self.kind:<6} {self.service:<9} {self.resource}{detail}"


@dataclass(frozen=True)
class Context:
    """Everything a service needs for one run; built once by the CLI."""

    config: EnvConfig
    aws: Aws
    chalice_config: Path

    @property
    def env(self) -> str:
        return self.config.env

    @property
    def account_id(self) -> str:
        return self.aws.account_id


class Service(Protocol):
    """What `infra/services/<name>.py` exposes (as module attributes)."""

    NAME: str

    def plan(self, ctx: Context) -> list[Action]: ...

    def plan_destroy(self, ctx: Context, *, force_data_loss: bool) -> list[Action]: ...


class ApplyFailed(Exception):
    def __init__(self, action: Action, cause: BaseException) -> None:
        super().__init__(
            f"apply stopped at: {action.describe()}\n  cause: {cause}\n"
            "  Everything before it is in place and nothing after it ran. Fix the cause and run apply again:"
            " it re-reads the account and only plans what is still missing."
        )
        self.action, self.cause = action, cause


# ---------------------------------------------------------------------------------------------------------
# Attribute-level reconciliation


def default_match(desired: Any, actual: Any) -> bool:
    return canonical(desired) == canonical(actual)


@dataclass(frozen=True)
class Attribute:
    """One independently managed attribute: `read()` returns the current value in the same shape as
    `desired` (None when absent); `write(desired)` makes it so (and removes it when desired is None)."""

    name: str
    desired: Any
    read: Callable[[], Any]
    write: Callable[[Any], object]
    matches: Callable[[Any, Any], bool] = default_match
    api: str = ""  # the call `write` makes, e.g. "s3.put_bucket_versioning" (shown by `plan`)


@dataclass(frozen=True)
class Resource:
    service: str
    resource: str
    exists: Callable[[], bool]
    create: Callable[[], object]
    attributes: Sequence[Attribute] = ()
    create_api: str = ""  # the call `create` makes, e.g. "s3.create_bucket" (shown by `plan`)

    def plan(self) -> list[Action]:
        if not self.exists():
            create = Call(
                self.create_api or api_of(self.create, f"create {self.resource.split()[0]}"), self.create
            )
            steps = (create, *(_bind(a) for a in self.attributes if a.desired is not None))
            return [Action(self.service, "create", self.resource, (), steps)]
        drifted = [a for a in self.attributes if not a.matches(a.desired, a.read())]
        if not drifted:
            return []
        changes = tuple(a.name for a in drifted)
        return [Action(self.service, "update", self.resource, changes, tuple(_bind(a) for a in drifted))]


def _bind(attribute: Attribute) -> Call:
    return Call(attribute.api or f"write {attribute.name}", lambda: attribute.write(attribute.desired))


def canonical(value: Any) -> Any:
    """Order-insensitive form for comparing AWS documents: IAM returns `"s3:GetObject"` for a one-item
    list, and lists of statements/actions/rules come back in any order."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        items = [canonical(v) for v in value]
        if len(items) == 1 and not isinstance(items[0], dict | list):
            return items[0]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


# ---------------------------------------------------------------------------------------------------------
# Running plans


def plan(ctx: Context, services: Iterable[Service]) -> list[Action]:
    actions: list[Action] = []
    for service in services:
        actions.extend(service.plan(ctx))
    return actions


def plan_destroy(ctx: Context, services: Iterable[Service], *, force_data_loss: bool) -> list[Action]:
    """Reverse dependency order: later services (which use earlier ones) are removed first."""
    actions: list[Action] = []
    for service in reversed(list(services)):
        actions.extend(service.plan_destroy(ctx, force_data_loss=force_data_loss))
    return actions


class DisplayOnlyExecutor:
    """Prints a plan, each action with the API calls `apply` would make; runs nothing."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def execute(self, actions: Sequence[Action]) -> None:
        for action in actions:
            print(action.describe(), file=self.out)
            for api in () if action.refused else action.calls:
                print(f"    {api}", file=self.out)


class Executor:
    """Runs a plan in order; the first failure stops it with `ApplyFailed` (which says what to do next)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def execute(self, actions: Sequence[Action]) -> None:
        for action in actions:
            print(action.describe(), file=self.out, flush=True)
            try:
                for step in action.steps:
                    step()
            except Exception as exc:
                raise ApplyFailed(action, exc) from exc


def execute(actions: Sequence[Action], out: TextIO) -> None:
    Executor(out).execute(actions)
