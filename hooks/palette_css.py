"""Leaves Material's palette stylesheet out when the site needs none of it.

palette.css (2 KB gzipped, render-blocking) carries every primary and
accent colour. main.css already defaults to indigo and extra.css defines the
dark scheme, so with indigo throughout the file is dead weight; any other
colour in mkdocs.yml brings it back. Done on the rendered page rather than
in the template, so the templates stay plain (no string methods).
"""

from __future__ import annotations

import re

PALETTE_LINK = re.compile(
    r'[ \t]*<link rel="stylesheet" href="[^"]*assets/stylesheets/palette\.[0-9a-f]+\.min\.css">\n?')


def needs_palette_css(palette) -> bool:
    """True unless every palette option uses indigo (Material's default) for both colours."""
    options = [palette] if isinstance(palette, dict) else list(palette or [])
    return any((option.get("primary") or "indigo") != "indigo"
               or (option.get("accent") or "indigo") != "indigo" for option in options)


def without_palette_css(html: str) -> str:
    return PALETTE_LINK.sub("", html, count=1)


def on_post_page(output: str, *, page, config) -> str:
    if needs_palette_css(config.theme.get("palette")):
        return output
    return without_palette_css(output)


def on_post_template(output_content: str, *, template_name: str, config) -> str:
    # Static templates (404.html) are full pages too.
    if not template_name.endswith(".html") or needs_palette_css(config.theme.get("palette")):
        return output_content
    return without_palette_css(output_content)
