"""palette.css is left out while every colour is Material's default indigo."""

import pytest

from site_helpers import load_hook

palette_css = load_hook("palette_css")
LINK = '      <link rel="stylesheet" href="../assets/stylesheets/palette.fb2fffe2.min.css">\n'


@pytest.mark.parametrize("palette, needed", [
    (None, False),
    ({"primary": "indigo"}, False),
    ([{"scheme": "default"}, {"scheme": "slate", "primary": "indigo", "accent": "indigo"}], False),
    ([{"primary": "indigo"}, {"primary": "teal"}], True),
    ({"accent": "red"}, True),
])
def test_palette_css_is_needed_only_for_other_colours(palette, needed):
    assert palette_css.needs_palette_css(palette) is needed


def test_only_the_palette_link_goes():
    page = "<head>\n" + LINK + '      <link rel="stylesheet" href="../assets/stylesheets/main.css">\n</head>'
    assert palette_css.without_palette_css(page) == \
        '<head>\n      <link rel="stylesheet" href="../assets/stylesheets/main.css">\n</head>'


def test_the_built_site_loads_no_palette_css(built_site):
    assert [p for p in built_site.glob("**/*.html") if "stylesheets/palette." in p.read_text()] == []
