"""The GitHub Actions workflows: valid, audited, pinned, and running the README's test command."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from project import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
FULL_SHA = re.compile(r"^[^@\s]+@[0-9a-f]{40}$")


def tool(name):
    path = BIN / name
    if not path.exists():
        found = shutil.which(name)
        if not found:
            pytest.fail(f"{name} is not installed; run: make test (installs the test requirements)")
        path = Path(found)
    return str(path)


def steps(workflow):
    data = yaml.safe_load(workflow.read_text())
    for job in data["jobs"].values():
        yield from job.get("steps", [])


def readme_test_command():
    block = re.search(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    return next(line.split("#")[0].strip() for line in block.splitlines() if "test" in line)


def test_there_is_a_test_workflow_and_a_publish_workflow():
    assert {w.name for w in WORKFLOWS} >= {"tests.yml", "publish.yml"}


def test_workflows_validate_against_the_github_workflow_schema():
    result = subprocess.run([tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows",
                             *map(str, WORKFLOWS)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing():
    result = subprocess.run([tool("zizmor"), "--offline", "--no-progress", *map(str, WORKFLOWS)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda w: w.name)
def test_every_action_is_official_and_pinned_by_commit(workflow):
    uses = [s["uses"] for s in steps(workflow) if "uses" in s]
    assert uses, f"{workflow.name} uses no action"
    for ref in uses:
        assert ref.startswith("actions/"), f"{workflow.name}: {ref} is not an official action"
        assert FULL_SHA.match(ref), f"{workflow.name}: {ref} is not pinned by a full commit SHA"


def test_the_test_workflow_runs_the_readmes_test_command():
    command = readme_test_command()
    assert command == "make test"
    runs = [s["run"].strip() for s in steps(ROOT / ".github" / "workflows" / "tests.yml") if "run" in s]
    assert command in runs, runs
    assert (ROOT / ".ci" / "run").read_text().rstrip().endswith("exec " + command)


def test_the_publish_workflow_builds_with_site_url():
    build = [s for s in steps(ROOT / ".github" / "workflows" / "publish.yml") if "make build" in s.get("run", "")]
    assert build and "SITE_URL" in build[0].get("env", {}), build


def checklist(text):
    return [line for line in text.splitlines() if line.startswith("- [ ] ")]


def test_pull_request_template_carries_the_contributing_checklist():
    page = (ROOT / "docs" / "contributing.md").read_text()
    section = page.split("<!-- begin pull-request checklist -->")[1].split("<!-- end pull-request checklist -->")[0]
    template = (ROOT / ".github" / "pull_request_template.md").read_text()
    assert checklist(section), "docs/contributing.md has no checklist"
    assert checklist(template) == checklist(section)
