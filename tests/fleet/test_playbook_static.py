"""The playbook bundle passes ansible-lint (production profile) and a syntax check."""

import subprocess

import pytest

from fleet_helpers import FLEET_DIR, PLAYBOOK, ansible_env, ansible_tool


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
