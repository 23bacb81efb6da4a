"""Sphinx configuration: the user's reference (``sphinx-build -W -b html docs <out>``)."""

from __future__ import annotations

project = "nodehttps"
author = "the nodehttps authors"
copyright = "the nodehttps authors"

extensions = ["sphinx.ext.autodoc", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
root_doc = "index"

# The docstrings are the reference: signatures keep the annotations as written.
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autodoc_default_options = {"show-inheritance": False}

myst_heading_anchors = 3
html_theme = "alabaster"
html_title = "nodehttps"
