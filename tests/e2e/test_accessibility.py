"""axe-core, injected into the key pages (one test each) and then every other
page, finds no accessibility violation in either colour scheme."""

import pytest

PAGES = ["", "faq/", "migrate/one-host/", "releases/"]
# Material's palette toggle follows the system preference on a first visit.
SCHEMES = {"light": "default", "dark": "slate"}


def describe(violations):
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {node['target']}: {node['failureSummary']}".replace("\n", " "))
    return "\n".join(lines)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("path", PAGES, ids=lambda path: path or "home")
def test_page_has_no_axe_violations(new_page, axe_script, path, scheme):
    page = new_page(color_scheme=scheme)
    response = page.goto(path)
    assert response.status == 200
    page.wait_for_load_state("networkidle")
    assert page.locator("body").get_attribute("data-md-color-scheme") == SCHEMES[scheme]

    page.evaluate(axe_script)
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")

    assert results["testEngine"]["name"] == "axe-core" and results["passes"]
    assert not results["violations"], describe(results["violations"])


@pytest.mark.parametrize("scheme", SCHEMES)
def test_every_page_has_no_axe_violations(new_page, axe_script, built_site, scheme):
    """The same check on every other page of the site, one report for all."""
    pages = sorted(
        path.parent.relative_to(built_site).as_posix() + "/"
        for path in built_site.glob("**/index.html"))
    pages = [path for path in pages if path.removeprefix("./") not in PAGES]
    page = new_page(color_scheme=scheme)
    reports = []
    for path in pages:
        page.goto("" if path == "./" else path)
        page.wait_for_load_state("networkidle")
        page.evaluate(axe_script)
        violations = page.evaluate(
            "axe.run(document, {resultTypes: ['violations']})")["violations"]
        if violations:
            reports.append(f"{path}:\n{describe(violations)}")
    assert len(pages) >= 8, pages
    assert not reports, "\n".join(reports)
