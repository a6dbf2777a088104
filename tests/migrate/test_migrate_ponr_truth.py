"""What the script reports after the point of no return is what the rpm
database shows, and a resume continues only the migration it belongs to.

The faults: an AlmaLinux package whose %pre always fails (rpm skips it,
`dnf shell` still exits 0); state files from another system, another major,
another script version, cut short, or claiming a swap that never happened.
"""

import re

import pytest

from migrate_script import finding_ids, load_report
from simel import NEWER, RPMDB_VOLATILE, diff_digests, rpms
from test_migrate_scenarios import EXIT, MIGRATION_TIMEOUT, assert_migrated, state_of

WORK_DIR = "/var/lib/almalinux-migrate"
STATE = f"{WORK_DIR}/state"
FAMILY = "centos-stream9"
REPORT = "/root/migration-report.json"
# What a run may write besides its log and work directory: the report asked for.
UNCHANGED_EXCEPT = (*RPMDB_VOLATILE, REPORT.lstrip("/"))


def report_of(root):
    """The --report document the last run wrote in the root, schema-checked."""
    return load_report(root.file(REPORT))


def not_migrated_list(output):
    """The package names the script says are still not migrated ([] if none)."""
    match = re.search(r"still not migrated to AlmaLinux's builds: (.*)$", output, re.M)
    return sorted(re.sub(r"-[^-]+-[^-]+$", "", nevra) for nevra in match[1].split()) \
        if match else []


# ---------------------------------------------------------------- a failed transaction
def test_transaction_that_skips_a_package_is_not_reported_as_a_migration(
        make_root, bad_mirror, script_args):
    root = make_root(FAMILY)
    mirror = bad_mirror(failing_pre=NEWER)
    first = root.run_script("--report", REPORT, *script_args(root), mirror=mirror,
                            timeout=MIGRATION_TIMEOUT)
    assert first.returncode == EXIT["RESUME"], str(first)
    assert not_migrated_list(first.output) == [NEWER], str(first)
    report = report_of(root)
    assert (report["status"], report["exit_code"]) == ("failed-resumable", EXIT["RESUME"])
    assert [re.sub(r"-[^-]+-[^-]+$", "", n) for n in report["packages"]["not_migrated"]] == [NEWER]
    assert "still not migrated" in report["message"]
    assert "complete" not in first.output
    assert root.package(NEWER).vendor != "AlmaLinux"
    # The re-run resumes, hits the same failure, and says so again.
    second = root.run_script(*script_args(root), mirror=mirror, timeout=MIGRATION_TIMEOUT)
    assert second.returncode == EXIT["RESUME"], str(second)
    assert not_migrated_list(second.output) == [NEWER], str(second)
    assert "nothing to do" not in second.output and "complete" not in second.output
    assert state_of(root)["STEP"] != "done"


# ---------------------------------------------------------------- the state file
@pytest.fixture
def interrupted_in_swap(make_root, script_args):
    """A root whose migration lost power just before the swap transaction
    (point of no return passed, nothing changed yet): its state says
    PONR=1, STEP=remap-modules (the step before the swap)."""
    root = make_root(FAMILY)
    root.inject_kill("dnf", match=" shell ", when="before")
    first = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert first.killed and root.fault_fired("dnf"), str(first)
    root.remove_faults()
    state = state_of(root)
    assert (state["PONR"], state["STEP"]) == ("1", "remap-modules"), state
    assert root.package("almalinux-release") is None
    return root


def edit_state(root, **values):
    path = root.path / STATE.lstrip("/")
    lines = [f"{k}={values.pop(k) if k in values else v}" for k, v in state_of(root).items()]
    path.write_text("".join(f"{line}\n" for line in lines + [f"{k}={v}" for k, v in values.items()]))


def truncate_state(root):
    path = root.path / STATE.lstrip("/")
    text = path.read_text()
    path.write_text(text[:text.rindex("=", 0, len(text) - 1) + 1])


FOREIGN_STATES = {
    "another-os": (lambda r: edit_state(r, SOURCE_ID="rocky"),
                   "is not this system's: made on ID=rocky, this system is ID=centos"),
    "another-major": (lambda r: edit_state(r, MAJOR="8"),
                      "is not this system's: made on major version 8, this system is 9"),
    "another-machine": (lambda r: edit_state(r, MACHINE_ID="0" * 32),
                        f"made on machine-id {'0' * 32}"),
    "another-script-version": (lambda r: edit_state(r, SCRIPT_VERSION="0.9.0"),
                               "written by almalinux-migrate.sh 0.9.0, this is version"),
    "unknown-step": (lambda r: edit_state(r, STEP="reticulate-splines"),
                     "is damaged: STEP has an invalid value (reticulate-splines): no step of"),
    "unknown-setting": (lambda r: edit_state(r, COLOUR="blue"),
                        "is damaged or truncated: line COLOUR=blue is not a setting"),
    "truncated": (truncate_state, "is damaged or truncated: its last line ("),
    "key-missing": (lambda r: (r.path / STATE.lstrip("/")).write_text(
        "".join(f"{k}={v}\n" for k, v in state_of(r).items() if k != "MAJOR")),
        "is damaged or truncated: MAJOR is missing"),
}


@pytest.mark.parametrize("damage", sorted(FOREIGN_STATES))
def test_state_from_another_system_or_damaged_is_not_resumed(damage, interrupted_in_swap,
                                                             script_args):
    root = interrupted_in_swap
    if damage == "another-machine":
        (root.path / "etc/machine-id").write_text("1" * 32 + "\n")
        edit_state(root, MACHINE_ID="1" * 32)
    change, message = FOREIGN_STATES[damage]
    change(root)
    before = root.digest(exclude=UNCHANGED_EXCEPT)
    result = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["BLOCKED"], str(result)
    assert f"the state file {STATE} " in result.stderr, str(result)
    assert message in result.stderr, str(result)
    assert "unbound variable" not in result.output and "complete" not in result.output
    assert diff_digests(before, root.digest(exclude=UNCHANGED_EXCEPT)) == []


def test_damaged_state_of_a_run_that_changed_nothing_is_discarded_and_the_run_starts_over(
        make_root, script_args, simel_lab):
    root = make_root(FAMILY)
    path = root.path / STATE.lstrip("/")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text("STEP=download\nPONR=0\nSOURCE_ID=rocky\nMAJOR=8\nARCH=x86_64\nMIR")
    result = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert_migrated(root, simel_lab, result)
    assert f"the state file {STATE} is damaged or truncated" in result.output
    assert "discarded, starting over" in result.output
    assert state_of(root)["STEP"] == "done"


def test_resume_past_the_swap_that_never_happened_runs_the_swap(interrupted_in_swap,
                                                                script_args, simel_lab):
    root = interrupted_in_swap
    edit_state(root, STEP="configure-repos")
    result = root.run_script(*script_args(root), timeout=MIGRATION_TIMEOUT)
    assert_migrated(root, simel_lab, result)
    assert "almalinux-release is not installed (or not AlmaLinux's): running the release swap again" \
        in result.output


# ---------------------------------------------------------------- dependents of the release
AGENT = "simel-vendor-agent"


@pytest.fixture
def make_agent_root(make_root, simel_lab, tmp_path):
    """make_agent_root(requires) -> a root with a vendor agent that has that
    requirement."""
    def make(requires):
        return install_agent(make_root(FAMILY), simel_lab, tmp_path, requires)
    return make


@pytest.fixture
def root_with_agent(make_agent_root):
    """A root with a vendor agent that Requires the source's release package
    by name (AlmaLinux's release packages do not provide it)."""
    return make_agent_root("centos-stream-release")


def install_agent(root, simel_lab, tmp_path, requires):
    agent = rpms.Package(AGENT, "3.1", "1", "Example Vendor", requires=[requires],
                         files={f"/usr/share/{AGENT}/agent.conf": "interval=60\n"},
                         dirs=[f"/usr/share/{AGENT}"])
    built = rpms.build(simel_lab.home, [agent], tmp_path / "agent", "simel-agent")
    inside = root.path / "var/tmp" / built[AGENT].name
    inside.write_bytes(built[AGENT].read_bytes())
    installed = root.run(["rpm", "-i", "--nosignature", f"/var/tmp/{inside.name}"])
    assert installed.returncode == 0, str(installed)
    inside.unlink()
    return root


@pytest.mark.parametrize("check", [True, False], ids=["check", "migration"])
def test_package_the_swap_would_remove_is_a_blocker(check, root_with_agent, script_args):
    root = root_with_agent
    before = root.digest(exclude=UNCHANGED_EXCEPT)
    args = ["--check"] if check else []
    result = root.run_script(*args, "--report", REPORT, *script_args(root, yes=not check),
                             timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["BLOCKED"], str(result)
    assert f"the release swap would remove {AGENT}" in result.output, str(result)
    report = report_of(root)
    assert (report["status"], report["check_only"]) == ("blocked", check)
    assert "dependent-packages" in finding_ids(report, "blocker")
    assert AGENT in report["packages"]["remove"]
    assert "--allow-remove" in result.output
    assert root.package(AGENT) is not None
    if check:
        assert diff_digests(before, root.digest(exclude=UNCHANGED_EXCEPT)) == []
    else:
        assert snapshot_unchanged(root, before)


def snapshot_unchanged(root, before):
    """Nothing but the log and the work directory's lock differ."""
    after = root.digest(exclude=UNCHANGED_EXCEPT)
    return [d for d in diff_digests(before, after)
            if "var/log/almalinux-migrate.log" not in d and "var/lib/almalinux-migrate" not in d] == []


def test_removal_accepted_with_allow_remove_is_done_and_reported(root_with_agent, script_args,
                                                                 simel_lab):
    root = root_with_agent
    check = root.run_script("--check", "--allow-remove", AGENT, "--report", REPORT,
                            *script_args(root, yes=False))
    assert check.returncode == EXIT["OK"], str(check)
    assert f"accepted with --allow-remove: the release swap removes {AGENT}" in check.stdout
    report = report_of(root)
    assert report["status"] == "ready" and finding_ids(report, "blocker") == set()
    assert "removal-accepted" in finding_ids(report, "warning")
    result = root.run_script("--allow-remove", AGENT, "--report", REPORT, *script_args(root),
                             timeout=MIGRATION_TIMEOUT)
    assert_migrated(root, simel_lab, result)
    report = report_of(root)
    assert (report["status"], report["exit_code"], report["message"]) == ("migrated", 0, "")
    assert report["packages"]["accepted_removals"] == [AGENT]
    assert root.package(AGENT) is None
    assert f"removed by the release swap, as accepted with --allow-remove: {AGENT}" in result.output


def test_removal_only_dnf_resolution_shows_is_a_blocker_before_the_point_of_no_return(
        make_agent_root, script_args):
    # "redhat-release < 9.5": AlmaLinux's almalinux-release provides
    # redhat-release, but 9.8, so the preflight's name check passes it; dnf's
    # resolution of the exact swap transaction removes the agent.
    root = make_agent_root("redhat-release < 9.5")
    # --check resolves the same transaction with dnf (from the metadata): it says so too.
    check = root.run_script("--check", *script_args(root, yes=False))
    assert check.returncode == EXIT["BLOCKED"], str(check)
    assert f"the release swap would remove {AGENT}" in check.output, str(check)
    before = root.digest(exclude=UNCHANGED_EXCEPT)
    result = root.run_script("--report", REPORT, *script_args(root), timeout=MIGRATION_TIMEOUT)
    assert result.returncode == EXIT["BLOCKED"], str(result)
    report = report_of(root)
    assert report["status"] == "blocked"
    assert finding_ids(report, "blocker") == {"dependent-packages"}
    assert (f"the release swap would remove {AGENT}: they depend on" in result.output
            and "(dnf's resolution of the swap transaction)" in result.output), str(result)
    assert "point of no return" not in result.output
    assert root.package(AGENT) is not None and root.package("almalinux-release") is None
    assert snapshot_unchanged(root, before)
