"""The Event Hubs Terraform checked offline against the project (no provider registry is reachable here, so
`terraform validate` cannot run): the hubs are exactly the event contract's, every hub has the medallion's
consumer group and Capture, the devices may only send and Spark only listen, no secret is an output, and the
Key Vault secret is the one the Databricks job reads. Each check is shown to catch its mistake."""

from __future__ import annotations

import copy
import re

import hcl2
import pytest

from include.orchestration.runners.databricks import job_spec
from include.settings import PROJECT_ROOT, load_settings
from scout_edge.contract import HUBS

TERRAFORM = PROJECT_ROOT / "infra" / "terraform"
RIGHTS = ("send", "listen", "manage")
LEAST_PRIVILEGE = {
    "devices": {"send": True, "listen": False, "manage": False},  # the stores' devices publish
    "spark": {"send": False, "listen": True, "manage": False},  # the medallion reads
}


def load() -> dict[str, dict]:
    """{"resource": {(type, name): body}, "variable": {name: body}, "output": {...}, "locals": {...}}."""
    tf: dict[str, dict] = {"resource": {}, "variable": {}, "output": {}, "locals": {}}
    options = hcl2.SerializationOptions(strip_string_quotes=True)
    for path in sorted(TERRAFORM.glob("*.tf")):
        with path.open() as f:
            parsed = hcl2.load(f, serialization_options=options)
        for block in parsed.get("resource", []):
            for kind, named in block.items():
                tf["resource"] |= {(kind, name): body for name, body in named.items()}
        for key in ("variable", "output"):
            for block in parsed.get(key, []):
                tf[key] |= block
        for block in parsed.get("locals", []):
            tf["locals"] |= block
    return tf


def hub_problems(tf: dict[str, dict]) -> list[str]:
    found = []
    resources, variables = tf["resource"], tf["variable"]
    hubs = set(variables["hubs"]["default"])
    if hubs != set(HUBS):
        found.append(f"hubs {sorted(hubs)} are not the event contract's {sorted(HUBS)}")
    hub = resources[("azurerm_eventhub", "hub")]
    if hub.get("for_each") != "${var.hubs}":
        found.append("azurerm_eventhub.hub is not one hub per entry of var.hubs")
    if "medallion" not in variables["consumer_groups"]["default"]:
        found.append("no 'medallion' consumer group")
    if "setproduct(keys(var.hubs), var.consumer_groups)" not in tf["locals"].get("consumer_groups", ""):
        found.append("the consumer groups are not every reader on every hub")
    if resources[("azurerm_eventhub_consumer_group", "reader")].get("for_each") != "${local.consumer_groups}":
        found.append("azurerm_eventhub_consumer_group.reader does not create local.consumer_groups")
    capture = (hub.get("capture_description") or [{}])[0]
    if capture.get("enabled") is not True or capture.get("encoding") != "Avro":
        found.append("the hubs are not captured as Avro")
    elif not resources.get(("azurerm_storage_account", "capture"), {}).get("is_hns_enabled"):
        found.append("Capture does not write to an ADLS Gen2 account (is_hns_enabled)")
    return found


def access_problems(tf: dict[str, dict]) -> list[str]:
    found = []
    rules = {name: body for (kind, name), body in tf["resource"].items() if kind.endswith("_authorization_rule")}
    for name, body in rules.items():
        rights = {r: body.get(r, False) for r in RIGHTS}
        if name in LEAST_PRIVILEGE and rights != LEAST_PRIVILEGE[name]:
            found.append(f"authorization rule {name} has {rights}, not {LEAST_PRIVILEGE[name]}")
    if set(rules) != set(LEAST_PRIVILEGE):
        found.append(f"authorization rules {sorted(rules)}, expected {sorted(LEAST_PRIVILEGE)}")
    for name, output in tf["output"].items():
        value = str(output.get("value"))
        if ("connection_string" in value and "_secret." not in value) or "primary_key" in value:
            found.append(f"output {name} exposes a secret")
    namespace = tf["resource"][("azurerm_eventhub_namespace", "scout")]
    if (namespace.get("sku"), namespace.get("minimum_tls_version")) != ("Standard", "1.2"):
        found.append("the namespace is not Standard with TLS 1.2")
    return found


def problems(tf: dict[str, dict]) -> list[str]:
    undocumented = [f"variable {n} has no description" for n, v in tf["variable"].items() if not v.get("description")]
    return hub_problems(tf) + access_problems(tf) + undocumented


@pytest.fixture(scope="module")
def terraform() -> dict[str, dict]:
    return load()


def test_the_terraform_matches_the_project(terraform):
    assert problems(terraform) == []


def test_the_databricks_job_reads_the_secret_terraform_writes(terraform):
    spark_secret = terraform["resource"][("azurerm_key_vault_secret", "spark")]
    assert spark_secret["value"] == "${azurerm_eventhub_namespace_authorization_rule.spark.primary_connection_string}"
    env = job_spec(load_settings({"SCOUT_ENGINE": "databricks"}))["job_clusters"][0]["new_cluster"]["spark_env_vars"]
    scope_key = env["SCOUT_EVENTHUBS_CONNECTION_STRING"]  # {{secrets/<scope>/<key>}}, a Key Vault-backed scope
    assert scope_key.strip("{}").split("/")[-1] == spark_secret["name"]


def mutated(terraform, change) -> list[str]:
    tf = copy.deepcopy(terraform)
    change(tf)
    return problems(tf)


def test_a_renamed_hub_is_caught(terraform):
    def rename(tf):
        hubs = tf["variable"]["hubs"]["default"]
        hubs["eh-pi-stt"] = hubs.pop("eh-pi-stt-raw")

    assert mutated(terraform, rename)[0].startswith("hubs ['eh-device-heartbeat', 'eh-insight-feedback',")


def test_a_rule_that_gains_manage_is_caught(terraform):
    def grant(tf):
        tf["resource"][("azurerm_eventhub_namespace_authorization_rule", "devices")]["manage"] = True

    assert mutated(terraform, grant) == [
        "authorization rule devices has {'send': True, 'listen': False, 'manage': True},"
        " not {'send': True, 'listen': False, 'manage': False}"
    ]


def test_dropped_capture_is_caught(terraform):
    def drop(tf):
        del tf["resource"][("azurerm_eventhub", "hub")]["capture_description"]

    assert mutated(terraform, drop) == ["the hubs are not captured as Avro"]


def test_a_secret_output_is_caught(terraform):
    def leak(tf):
        rule = "azurerm_eventhub_namespace_authorization_rule.devices.primary_connection_string"
        tf["output"]["devices_connection_string"] = {"description": "oops", "value": "${" + rule + "}"}

    assert mutated(terraform, leak) == ["output devices_connection_string exposes a secret"]


def test_the_medallion_consumer_group_is_required(terraform):
    def drop(tf):
        tf["variable"]["consumer_groups"]["default"] = ["adhoc"]

    assert mutated(terraform, drop) == ["no 'medallion' consumer group"]


def layout_problems(text: str) -> list[str]:
    """What `terraform fmt` would change in a file's layout, as far as it can be told without the binary
    (no release of it can be installed here): tabs, trailing blanks, a missing or doubled final newline,
    and indentation that is not two spaces per level (a line that leaves brackets open opens one level,
    however many; brackets in strings and comments do not count). The alignment of `=` is not checked."""
    problems = []
    if not text.endswith("\n") or text.endswith("\n\n"):
        problems.append("the file must end with exactly one newline")
    depth = 0
    for number, line in enumerate(text.splitlines(), 1):
        if "\t" in line:
            problems.append(f"line {number}: a tab")
        if line != line.rstrip():
            problems.append(f"line {number}: trailing blanks")
        code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line).split("#")[0].split("//")[0]
        closing = code.lstrip()[:1] in ("}", "]", ")")  # a line that starts by closing sits a level out
        indent, expected = len(line) - len(line.lstrip(" ")), 2 * (depth - closing)
        if line.strip() and indent != expected:
            problems.append(f"line {number}: indented {indent}, expected {expected}")
        opened = sum(code.count(c) for c in "{[(") - sum(code.count(c) for c in "}])")
        depth += (opened > 0) - (opened < 0)  # a line opens or closes one level, however many brackets
    return problems


def test_the_terraform_files_are_laid_out_as_terraform_fmt_lays_them_out():
    files = sorted(TERRAFORM.glob("*.tf"))
    assert files
    assert {f.name: layout_problems(f.read_text()) for f in files} == {f.name: [] for f in files}


def test_the_layout_check_finds_what_fmt_would_change():
    good = (
        'resource "x" "y" {\n  name = "${var.a}-b" # {\n  tags = {\n    a = 1\n  }\n'
        "  t = map(object({\n    n = 1\n  }))\n}\n"
    )
    assert layout_problems(good) == []
    assert layout_problems(good.replace("    n = 1", "      n = 1")) == ["line 7: indented 6, expected 4"]
    assert layout_problems(good.replace("    a = 1", "   a = 1")) == ["line 4: indented 3, expected 4"]
    assert layout_problems(good.replace("  name", "\tname")) == ["line 2: a tab", "line 2: indented 0, expected 2"]
    assert layout_problems(good + "\n") == ["the file must end with exactly one newline"]


def test_every_checkov_skip_says_why():
    """checkov runs in `make test` / `make lint` with zero failed checks; each check it skips is justified."""
    import re

    skips = [
        (path.name, m.group(1), m.group(2).strip())
        for path in TERRAFORM.glob("*.tf")
        for m in re.finditer(r"#checkov:skip=([A-Z0-9_]+)(?::(.*))?", path.read_text())
    ]
    assert skips, "the scan's skips are expected in the files"
    assert [(f, check) for f, check, why in skips if len(why or "") < 20] == []
