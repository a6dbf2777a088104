"""Last-updated dates: one git pass for all pages, with fallbacks for files
git does not know, shallow clones and directories outside git."""

import datetime as dt
import os
import shutil
import subprocess

import pytest


def git(cwd, *args, when=None):
    env = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.org"}
    if when:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{when}T12:00:00+00:00"
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path):
    """docs/ with a.md (2024-01-10), b.md (2024-01-10, changed 2025-03-05),
    sub/c.md with a space in its name (2025-03-05), and untracked new.md."""
    if shutil.which("git") is None:
        pytest.fail("git is needed for these tests")
    root = tmp_path / "repo"
    docs = root / "docs"
    (docs / "sub").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (docs / "a.md").write_text("# A\n")
    (docs / "b.md").write_text("# B\n")
    (root / "README.md").write_text("outside docs\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "first", when="2024-01-10")
    (docs / "b.md").write_text("# B, changed\n")
    (docs / "sub" / "c d.md").write_text("# C\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "second", when="2025-03-05")
    (root / "README.md").write_text("changed later, outside docs\n")
    git(root, "commit", "-q", "-am", "third", when="2026-02-02")
    (docs / "new.md").write_text("# New\n")
    return root


def test_dates_come_from_the_newest_commit_touching_each_file(hooks, repo):
    dates = hooks["last_updated"].git_dates(repo / "docs")
    assert {k: v.isoformat() for k, v in dates.items()} == {
        "a.md": "2024-01-10", "b.md": "2025-03-05", "sub/c d.md": "2025-03-05"}


def test_git_log_runs_once_for_all_pages(hooks, repo, monkeypatch):
    last_updated = hooks["last_updated"]
    calls = []
    real = last_updated.run_git

    def counting(cwd, *args):
        calls.append(args)
        return real(cwd, *args)

    monkeypatch.setattr(last_updated, "run_git", counting)
    last_updated.git_dates(repo / "docs")
    assert sum("log" in args for args in calls) == 1
    assert len(calls) <= 2


def test_untracked_file_falls_back_to_its_modification_time(hooks, repo):
    last_updated = hooks["last_updated"]
    new = repo / "docs" / "new.md"
    stamp = dt.datetime(2023, 7, 4, 9, tzinfo=dt.timezone.utc).timestamp()
    os.utime(new, (stamp, stamp))
    dates = last_updated.git_dates(repo / "docs")
    assert last_updated.revision_date("new.md", str(new), dates) == "2023-07-04"
    assert last_updated.revision_date("b.md", str(repo / "docs" / "b.md"), dates) == "2025-03-05"


def test_page_without_a_file_gets_the_build_date(hooks, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795651200")
    assert hooks["last_updated"].revision_date("gen.md", None, {}) == "2026-11-26"


def test_directory_outside_git_gives_no_dates_and_no_crash(hooks, tmp_path):
    docs = tmp_path / "plain" / "docs"
    docs.mkdir(parents=True)
    assert hooks["last_updated"].git_dates(docs) == {}


def test_missing_git_program_gives_no_dates_and_no_crash(hooks, repo, monkeypatch):
    monkeypatch.setenv("PATH", str(repo / "no-such-bin"))
    assert hooks["last_updated"].git_dates(repo / "docs") == {}


def test_shallow_clone_does_not_date_files_by_the_cut_off_commit(hooks, repo, tmp_path):
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--depth", "2", f"file://{repo}", str(clone))
    dates = hooks["last_updated"].git_dates(clone / "docs")
    # The two newest commits are kept; "second" is the cut-off commit and
    # seems to add every docs file, so none of them gets its date.
    assert dates == {}
    deeper = tmp_path / "deeper"
    git(tmp_path, "clone", "-q", "--depth", "3", f"file://{repo}", str(deeper))
    dated = {k: v.isoformat() for k, v in hooks["last_updated"].git_dates(deeper / "docs").items()}
    assert dated == {"b.md": "2025-03-05", "sub/c d.md": "2025-03-05"}


def test_built_pages_show_the_git_date(site, tmp_path):
    git(site.root, "init", "-q", "-b", "main")
    git(site.root, "add", ".")
    git(site.root, "commit", "-q", "-m", "pages", when="2025-08-09")
    site.page("fresh.md", "# Fresh\n")
    stamp = dt.datetime(2022, 2, 2, tzinfo=dt.timezone.utc).timestamp()
    os.utime(site.root / "docs" / "fresh.md", (stamp, stamp))
    result = site.build()
    assert result.returncode == 0, result.stderr
    assert "md-source-file" in site.html() and "2025-08-09" in site.html()
    assert "2022-02-02" in site.html("fresh/index.html")
