"""The playbook bundle: ansible-lint (production profile), syntax, and what it
says about privileges, facts, versions, staging and settings without running."""

import configparser
import re
import shutil
import subprocess

import pytest
import yaml

from fleet_helpers import FLEET_DIR, PLAYBOOK, ansible_env, ansible_tool
from migrate_script import SCRIPT, exit_codes, findings


def run(argv, home):
    result = subprocess.run([str(a) for a in argv], cwd=FLEET_DIR, env=ansible_env(home),
                            capture_output=True, text=True, timeout=300)
    print(result.stdout, result.stderr)
    return result


def test_ansible_lint_production_profile_passes(tmp_path):
    result = run([ansible_tool("ansible-lint"), "--profile", "production", "--offline",
                  "--nocolor", "."], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # It really linted the playbook and its task files, not an empty set.
    assert "Profile 'production' was required, and it passed" in result.stderr + result.stdout


def test_syntax_check_passes(tmp_path):
    result = run([ansible_tool("ansible-playbook"), "--syntax-check", "-i", "localhost,",
                  PLAYBOOK], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"playbook: {PLAYBOOK}" in result.stdout


def test_syntax_check_fails_on_a_broken_playbook(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(PLAYBOOK.read_text().replace("  tasks:\n", "  taskz:\n", 1))
    result = run([ansible_tool("ansible-playbook"), "--syntax-check", "-i", "localhost,",
                  broken], tmp_path)
    assert result.returncode != 0


@pytest.mark.parametrize("name", ["migrate.yml", "README.md", "inventory.example.yml",
                                  "ansible.cfg", "vars/rollout.yml", "group_vars/all.yml"])
def test_bundle_has_the_files_the_guide_names(name, project_root):
    assert (FLEET_DIR / name).is_file()
    assert f"`{name}`" in (project_root / "docs/migrate/fleet.md").read_text()


def plays():
    return yaml.safe_load(PLAYBOOK.read_text())


def bundle_texts():
    return {path: path.read_text() for path in sorted(FLEET_DIR.rglob("*"))
            if path.suffix in (".yml", ".j2", ".cfg")}


def test_plays_on_the_hosts_become_root_and_plays_on_the_controller_do_not():
    for play in plays():
        on_controller = play["hosts"] == "localhost"
        assert play.get("become") is (not on_controller), play["name"]
    # The report, written on the controller from a play on the hosts.
    rollout = next(p for p in plays() if p["name"].startswith("Migrate the ready hosts"))
    report = next(t for t in rollout["tasks"]
                  if t.get("delegate_to") == "localhost" and "ansible.builtin.import_tasks" in t)
    assert report["become"] is False, report


def test_facts_are_not_injected_as_variables():
    config = configparser.ConfigParser()
    config.read(FLEET_DIR / "ansible.cfg")
    assert config.getboolean("defaults", "inject_facts_as_vars") is False
    # No play gathers facts, and nothing reads a fact as a top-level variable:
    # every ansible_* name used is a magic or connection variable.
    assert all(play.get("gather_facts") is False for play in plays())
    used = {name for text in bundle_texts().values() for name in re.findall(r"\bansible_[a-z_]+", text)}
    assert used <= {"ansible_version", "ansible_play_hosts_all", "ansible_failed_result",
                     "ansible_remote_tmp", "ansible_user", "ansible_become", "ansible_facts",
                     "ansible_failed_task"}, used


def minimum_ansible_core():
    first = plays()[0]["tasks"][0]
    assert "ansible_version.full is version(fleet_min_ansible_core, '>=')" in first[
        "ansible.builtin.assert"]["that"]
    return plays()[0]["vars"]["fleet_min_ansible_core"]


def test_the_first_task_requires_the_minimum_ansible_core_the_docs_and_requirements_name(project_root):
    minimum = minimum_ansible_core()
    assert re.fullmatch(r"2\.\d+", minimum), minimum
    for doc in (project_root / "docs/migrate/fleet.md", FLEET_DIR / "README.md"):
        assert f"ansible-core {minimum} or newer" in " ".join(doc.read_text().split()), doc
    pinned = re.search(r"(?m)^ansible-core==(\d+)\.(\d+)\.", (project_root / "requirements" / "test.txt").read_text())
    assert (int(pinned[1]), int(pinned[2])) >= tuple(map(int, minimum.split("."))), pinned[0]


def test_an_older_ansible_core_is_refused_before_anything_else(tmp_path):
    result = run([ansible_tool("ansible-playbook"), "-i", "localhost,", PLAYBOOK,
                  "-e", "fleet_min_ansible_core=99.0"], tmp_path)
    assert result.returncode != 0
    assert "This playbook needs ansible-core 99.0 or newer" in result.stdout
    assert "Look for the downloads signing key" not in result.stdout


def test_no_fixed_staging_path_and_no_file_transfer_through_ansibles_temporary_files():
    for path, text in bundle_texts().items():
        assert "/var/tmp/almalinux-fleet" not in text, path
        # copy and template pass through a temporary directory on the host.
        if path.parent.name == "tasks" or path.name == "migrate.yml":
            assert "ansible.builtin.copy" not in text, path
    group_vars = yaml.safe_load((FLEET_DIR / "group_vars/all.yml").read_text())
    assert "fleet_stage_dir" not in group_vars
    assert group_vars["ansible_remote_tmp"] == "~/.ansible/tmp"


def settings():
    names = set()
    for name in ("vars/rollout.yml", "group_vars/all.yml"):
        names |= set(yaml.safe_load((FLEET_DIR / name).read_text()))
    return {n for n in names if n.startswith("fleet_") and n != "fleet_source_args"}


@pytest.mark.parametrize("doc", ["docs/migrate/fleet.md", "scripts/fleet/README.md"])
def test_every_setting_is_documented_and_every_documented_setting_exists(doc, project_root):
    text = (project_root / doc).read_text()
    table_names = set(re.findall(r"(?m)^\| `(fleet_[a-z0-9_]+)`", text))
    table_names |= set(re.findall(r"(?m)^\| `fleet_[a-z0-9_]+`, `(fleet_[a-z0-9_]+)`", text))
    assert table_names == settings(), doc


@pytest.mark.parametrize("name", ["fleet_write", "fleet_verify_and_run"])
def test_bash_commands_run_on_the_hosts_pass_shellcheck(name):
    shellcheck = shutil.which("shellcheck")
    assert shellcheck, "shellcheck is not installed"
    tasks = yaml.safe_load((FLEET_DIR / "tasks/run-script.yml").read_text())
    command = next(t for t in tasks if "block" in t)["vars"][name]
    result = subprocess.run([shellcheck, "--shell=bash", "-"], input=command,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout


def table_pattern(variable):
    """The regular expression the playbook reads one of the script's tables with."""
    plays = yaml.safe_load(PLAYBOOK.read_text())
    tasks = [task for play in plays for task in play.get("tasks", [])
             if task.get("name") == "Remember the verified script, its exit codes and its findings"]
    assert len(tasks) == 1
    return re.search(r"regex_findall\('(.+?)'\)", tasks[0]["vars"][variable])[1]


def test_exit_codes_the_playbook_reads_are_those_the_script_prints():
    # The playbook reads the script's EXIT_CODES table from the verified file
    # (the controller does not run it); --exit-codes prints the same table.
    read = {int(code): (name, meaning)
            for code, name, meaning in re.findall(table_pattern("fleet_code_lines"), SCRIPT.read_text())}
    printed = {code: (name, meaning) for name, (code, meaning) in exit_codes().items()}
    assert read == printed and len(read) >= 7


def test_findings_the_playbook_reads_are_those_the_script_lists():
    # The same for the FINDINGS table and --list-findings: the fleet report
    # takes titles and what to do from it, and checks hosts' ids against it.
    read = [(fid, (level, title, fix)) for fid, level, title, fix
            in re.findall(table_pattern("fleet_finding_lines"), SCRIPT.read_text())]
    listed = findings()
    assert dict(read) == listed and len(read) == len(listed) >= 20
