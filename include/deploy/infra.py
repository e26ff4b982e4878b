"""`make deploy-infra`: the event backbone (infra/terraform) with Terraform: plan, and apply only when told.

    python -m include.deploy infra             # terraform init + plan (saved to SCOUT_HOME/deploy/infra.tfplan)
    python -m include.deploy infra --confirm   # ... then apply exactly that plan
    python -m include.deploy infra --dry-run   # print the commands; needs no tool and no credentials

Azure credentials are Terraform's own: a service principal (ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_TENANT_ID,
ARM_SUBSCRIPTION_ID), a managed identity or OIDC (ARM_USE_MSI / ARM_USE_OIDC with ARM_SUBSCRIPTION_ID), or
an `az login` session. Nothing here reads or prints their values.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from include.errors import PipelineStepFailed, SettingsError
from include.settings import PROJECT_ROOT, Settings

TERRAFORM_DIR = PROJECT_ROOT / "infra" / "terraform"


def plan_file(settings: Settings) -> Path:
    return settings.home / "deploy" / "infra.tfplan"


def commands(settings: Settings, *, confirm: bool) -> list[list[str]]:
    chdir = f"-chdir={TERRAFORM_DIR}"
    steps = [
        ["terraform", chdir, "init", "-input=false"],
        ["terraform", chdir, "plan", "-input=false", f"-out={plan_file(settings)}"],
    ]
    if confirm:
        steps.append(["terraform", chdir, "apply", "-input=false", str(plan_file(settings))])
    return steps


def plan(settings: Settings, *, confirm: bool) -> list[str]:
    lines = [" ".join(c) for c in commands(settings, confirm=confirm)]
    if not confirm:
        lines.append("apply: not without --confirm (make deploy-infra CONFIRM=1), after reading the plan")
    return lines


def _azure_login() -> bool:
    if shutil.which("az") is None:
        return False
    return subprocess.run(["az", "account", "show"], capture_output=True).returncode == 0


def check_requirements(env: dict[str, str] | None = None) -> None:
    env = dict(os.environ if env is None else env)
    if shutil.which("terraform", path=env.get("PATH")) is None:
        raise SettingsError("terraform is not installed (Terraform >= 1.6: https://developer.hashicorp.com/terraform)")
    has_subscription = bool(env.get("ARM_SUBSCRIPTION_ID"))
    principal = all(env.get(k) for k in ("ARM_CLIENT_ID", "ARM_CLIENT_SECRET", "ARM_TENANT_ID"))
    identity = env.get("ARM_USE_MSI") == "true" or env.get("ARM_USE_OIDC") == "true"
    if not ((has_subscription and (principal or identity)) or _azure_login()):
        raise SettingsError(
            "no Azure credentials: set ARM_SUBSCRIPTION_ID with ARM_CLIENT_ID, ARM_CLIENT_SECRET and ARM_TENANT_ID"
            " (a service principal) or ARM_USE_MSI=true, or run `az login`"
        )


def run(settings: Settings, *, confirm: bool, say=print) -> None:
    check_requirements()
    plan_file(settings).parent.mkdir(parents=True, exist_ok=True)
    for command in commands(settings, confirm=confirm):
        say(f"$ {' '.join(command)}")
        if subprocess.run(command).returncode:
            step = command[2]  # terraform -chdir=<dir> <step> ...
            raise PipelineStepFailed(f"`terraform {step}` failed (its output is above)")
    if not confirm:
        say(f"planned ({plan_file(settings)}); apply it with --confirm (make deploy-infra CONFIRM=1)")
