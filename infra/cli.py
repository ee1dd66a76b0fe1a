"""`python -m infra {plan,apply,destroy,publish-site,rotate-key,revoke-key,cost,wake,server-url} --env ENV ...`

Exit codes: 0 = done / nothing to change; 2 = `plan` found pending changes (or apply/destroy needs --yes);
1 = error (bad config, AWS error, refused destroy). Output lists resources and attribute names, never values.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click
from botocore.exceptions import BotoCoreError, ClientError

from infra import engine
from infra.aws import Aws
from infra.config import ENVS_DIR, ConfigError, load_config
from infra.engine import Action, ApplyFailed, Context
from infra.services import select

REPO_ROOT = Path(__file__).resolve().parents[1]
CHALICE_CONFIG = REPO_ROOT / "chalice_app" / ".chalice" / "config.json"

EXIT_OK, EXIT_ERROR, EXIT_PENDING = 0, 1, 2


class Failure(Exception):
    """An error already phrased for the operator; printed without a traceback."""


def make_context(env: str, envs_dir: Path, chalice_config: Path) -> Context:
    config = load_config(env, envs_dir)
    return Context(config=config, aws=Aws(config.project.region), chalice_config=chalice_config)


def summary(actions: Sequence[Action]) -> str:
    counts = {kind: sum(a.kind == kind for a in actions) for kind in ("create", "update", "delete")}
    return f"Plan: {counts['create']} to create, {counts['update']} to update, {counts['delete']} to delete."


def confirmed(yes: bool, verb: str) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        click.echo(f"Not {verb}ing: pass --yes to {verb} without a prompt.", err=True)
        return False
    return click.prompt(f"Type 'yes' to {verb}", default="", show_default=False) == "yes"


def review_and_execute(actions: Sequence[Action], yes: bool, verb: str, done: str) -> int:
    """Print the plan; without --yes list each action and ask; then run it and print `done`."""
    click.echo(summary(actions))
    if not yes:
        for action in actions:
            click.echo(action.describe())
        if not confirmed(yes, verb):
            return EXIT_PENDING
    engine.execute(actions, sys.stdout)
    click.echo(done)
    return EXIT_OK


def run_guarded(body: Callable[[], int]) -> int:
    try:
        return body()
    except (ConfigError, Failure, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
    except ApplyFailed as exc:
        click.echo(str(exc), err=True)
    except ClientError as exc:
        hint = ""
        if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404 and os.environ.get(
            "AWS_ENDPOINT_URL"
        ):
            hint = (
                f"\n  (AWS_ENDPOINT_URL={os.environ['AWS_ENDPOINT_URL']} may not implement this API: moto has no "
                "CloudFront response-headers policies, so emulated envs use [site] cdn = false)"
            )
        click.echo(f"AWS error: {exc}{hint}", err=True)
    except BotoCoreError as exc:
        click.echo(f"AWS error: {exc} (are credentials and AWS_REGION/AWS_ENDPOINT_URL set?)", err=True)
    return EXIT_ERROR


# ---------------------------------------------------------------------------------------------------------
# Commands

_env = click.option("--env", "env", required=True, help="Environment: infra/envs/<ENV>.toml.")
_only = click.option("--only", default=None, help="Comma-separated services, e.g. storage,iam.")
_yes = click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
_envs_dir = click.option(
    "--envs-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=ENVS_DIR,
    show_default=False,
    help="Folder with the <env>.toml files (default: infra/envs).",
)
_chalice = click.option(
    "--chalice-config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=CHALICE_CONFIG,
    help="Chalice config.json whose stage <env> apply writes (default: chalice_app/.chalice/config.json).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Provision and publish mplat's AWS side (credentials/region from the AWS chain; honours AWS_ENDPOINT_URL)."""


@cli.command("plan")
@_env
@_only
@_envs_dir
@_chalice
def plan_cmd(env: str, only: str | None, envs_dir: Path, chalice_config: Path) -> None:
    """Show what apply would change. Exit 0: nothing; exit 2: changes pending."""

    def body() -> int:
        ctx = make_context(env, envs_dir, chalice_config)
        actions = engine.plan(ctx, select(only))
        engine.DisplayOnlyExecutor(sys.stdout).execute(actions)
        if not actions:
            click.echo(f"No changes: {env} is up to date.")
            return EXIT_OK
        click.echo(summary(actions))
        return EXIT_PENDING

    sys.exit(run_guarded(body))


@cli.command("apply")
@_env
@_only
@_yes
@click.option(
    "--rotate-oidc-secret",
    is_flag=True,
    help="Also send the Okta client secret now in Secrets Manager to the ALB (AWS never returns it to compare).",
)
@_envs_dir
@_chalice
def apply_cmd(
    env: str, only: str | None, yes: bool, rotate_oidc_secret: bool, envs_dir: Path, chalice_config: Path
) -> None:
    """Converge the account to the env config (safe to re-run)."""

    def body() -> int:
        ctx = make_context(env, envs_dir, chalice_config)
        actions = engine.plan(ctx, select(only))
        if rotate_oidc_secret:
            from infra.services import compute

            actions += compute.rotate_oidc_secret_actions(ctx)
        if not actions:
            click.echo(f"No changes: {env} is up to date.")
            return EXIT_OK
        return review_and_execute(actions, yes, "apply", f"Applied {len(actions)} change(s) to {env}.")

    sys.exit(run_guarded(body))


@cli.command("destroy")
@_env
@_only
@_yes
@click.option("--force-data-loss", is_flag=True, help="Also delete the raw bucket and non-empty buckets.")
@_envs_dir
@_chalice
def destroy_cmd(
    env: str, only: str | None, yes: bool, force_data_loss: bool, envs_dir: Path, chalice_config: Path
) -> None:
    """Delete resources tagged ManagedBy=mplat-infra for this env, in reverse dependency order."""

    def body() -> int:
        ctx = make_context(env, envs_dir, chalice_config)
        actions = engine.plan_destroy(ctx, select(only), force_data_loss=force_data_loss)
        refused = [a for a in actions if a.refused]
        if refused:
            for action in refused:
                click.echo(action.describe(), err=True)
            click.echo("Nothing was deleted.", err=True)
            return EXIT_ERROR
        if not actions:
            click.echo(f"Nothing to destroy in {env}.")
            return EXIT_OK
        return review_and_execute(actions, yes, "destroy", f"Destroyed {len(actions)} resource(s) in {env}.")

    sys.exit(run_guarded(body))


@cli.command("publish-site")
@_env
@click.option(
    "--site-dir", type=click.Path(path_type=Path, file_okay=False), default=Path("site"), show_default=True
)
@click.option("--rollback", is_flag=True, help="Republish the previous build instead of --site-dir.")
@click.option(
    "--grace-days",
    type=click.IntRange(min=0),
    default=None,
    help="Keep files the new build dropped this long (default: [site] publish_grace_days).",
)
@_envs_dir
def publish_cmd(env: str, site_dir: Path, rollback: bool, grace_days: int | None, envs_dir: Path) -> None:
    """Upload the built gallery (only changed files), prune old files, invalidate CloudFront."""
    from infra import publish

    def body() -> int:
        ctx = make_context(env, envs_dir, CHALICE_CONFIG)
        grace = ctx.config.site.publish_grace_days if grace_days is None else grace_days
        if rollback:
            report = publish.rollback(ctx, grace_days=grace)
        else:
            if not site_dir.is_dir():
                raise Failure(f"--site-dir {site_dir} does not exist: build the site first (make site)")
            report = publish.publish(ctx, site_dir, grace_days=grace)
        click.echo(report.describe())
        return EXIT_OK

    sys.exit(run_guarded(body))


def _key_command(name: str, doc: str, run: Callable[[Context, str], Any]) -> None:
    @cli.command(name, help=doc)
    @_env
    @click.option("--device", required=True, help="On-prem device name from [onprem] devices.")
    @_yes
    @_envs_dir
    def command(env: str, device: str, yes: bool, envs_dir: Path) -> None:
        def body() -> int:
            ctx = make_context(env, envs_dir, CHALICE_CONFIG)
            if device not in ctx.config.onprem_devices:
                raise Failure(f"device {device!r} is not in [onprem] devices of {ctx.config.path}")
            if not confirmed(yes, name.split("-")[0]):
                return EXIT_PENDING
            click.echo(run(ctx, device))
            return EXIT_OK

        sys.exit(run_guarded(body))


def _rotate(ctx: Context, device: str) -> str:
    from infra import keys

    return keys.rotate(ctx, device)


def _revoke(ctx: Context, device: str) -> str:
    from infra import keys

    return keys.revoke(ctx, device)


_key_command(
    "rotate-key",
    "Issue a new access key for an on-prem device, store it in Secrets Manager, deactivate the old one.",
    _rotate,
)
_key_command(
    "revoke-key",
    "Delete every access key of an on-prem device (it is denied everything until rotate-key).",
    _revoke,
)


@cli.command("cost")
@click.option("--env", "env", default=None, help="Environment: infra/envs/<ENV>.toml.")
@click.option(
    "--all",
    "all_envs",
    is_flag=True,
    help="Every env, summed per AWS account ([project] account); exit 1 when an account is over budget.",
)
@click.option(
    "--account-id", default=None, help="Account id for bucket names (default: ask STS, else a placeholder)."
)
@_envs_dir
def cost_cmd(env: str | None, all_envs: bool, account_id: str | None, envs_dir: Path) -> None:
    """Monthly EUR estimate per resource: compute tier 24/7, on office hours, and off (no AWS calls needed)."""
    from infra import cost

    def every_env() -> list[cost.EnvCost]:
        names = sorted(path.stem for path in envs_dir.glob("*.toml"))
        return [cost.env_cost(load_config(name, envs_dir)) for name in names]

    def body() -> int:
        if all_envs == (env is not None):
            raise Failure("give either --env ENV (one env, per resource) or --all (every env, per account)")
        if all_envs:
            text, over = cost.render_accounts(every_env())
            click.echo(text)
            return EXIT_ERROR if over else EXIT_OK
        assert env is not None
        config = load_config(env, envs_dir)
        account = account_id or cost.account_id_or_placeholder(config.project.region)
        click.echo(cost.render(config, cost.estimate(config, account)))
        this = cost.env_cost(config)
        sharing = [c for c in every_env() if c.account == this.account and c.env != env] + [this]
        click.echo(cost.render_server_tier(this, sharing))
        return EXIT_OK

    sys.exit(run_guarded(body))


@cli.command("server-url")
@_env
@_envs_dir
def server_url_cmd(env: str, envs_dir: Path) -> None:
    """Print the server tier's public address (https://<[dns] domain>/), which the gallery's "Open on the
    server" buttons use: `MPLAT_SERVER_URL=$(python -m infra server-url --env prod) make site`. Prints
    nothing when the env's server tier is off."""
    from infra.services.compute_settings import compute_tier

    def body() -> int:
        tier = compute_tier(load_config(env, envs_dir))
        if tier.compute.enabled and tier.dns is not None:
            click.echo(f"https://{tier.dns.domain}/")
        return EXIT_OK

    sys.exit(run_guarded(body))


@cli.command("wake")
@_env
@_envs_dir
def wake_cmd(env: str, envs_dir: Path) -> None:
    """Start the marimo service now (outside office hours); the evening schedule scales it down again."""
    from infra.services import compute

    def body() -> int:
        click.echo(compute.wake(make_context(env, envs_dir, CHALICE_CONFIG)))
        return EXIT_OK

    sys.exit(run_guarded(body))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for `python -m infra`; returns the exit code instead of exiting (handy in-process)."""
    try:
        cli.main(
            args=list(argv) if argv is not None else None, prog_name="python -m infra", standalone_mode=False
        )
    except SystemExit as exc:
        return int(exc.code or 0)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return EXIT_ERROR
    except click.exceptions.Abort:
        return EXIT_ERROR
    return EXIT_OK
