"""The site's build logic, with no MkDocs in it.

Release data, downloads, the migration script's declarations and the page
markers live here as plain functions and dataclasses: data in, HTML or files
out. The files in hooks/ are thin MkDocs adapters around them, and the
markers also work as a Python-Markdown extension on their own
(sitelib.markdown_ext), so any generator that runs Python-Markdown renders
the same pages.

The hooks import this package by name: MkDocs puts a hook's folder on
sys.path while it loads the hook.
"""

from __future__ import annotations


class SiteError(Exception):
    """Something that must stop the build; the message says what and where."""
