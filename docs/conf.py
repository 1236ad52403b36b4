"""Sphinx configuration of the recurrent_zoo documentation.

Build (offline, warnings are errors)::

    pip install ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html

The build runs ``recurrent-zoo compare --quick`` once and every example of the gallery; the
catalogue, the API list of architecture modules and the benchmark tables are generated into
``docs/generated/`` by ``docs/_ext/rz_docs.py`` (see there). Environment variables:

``RZ_DOCS_COMPARE_JSON``
    Use the rows of an earlier ``recurrent-zoo compare --quick --json PATH`` run instead of
    running the comparison again (the page then says which file the numbers came from).
``RZ_DOCS_COMPARE_JOBS``
    Processes for the comparison run (default 2).
``RZ_DOCS_NO_GALLERY``
    Set to 1 to skip running the examples (a quick build for proofreading prose only).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# The gallery's models are small: one BLAS thread per process runs them faster than several
# competing for two cores, and the comparison run uses one process per core. Set before numpy
# is imported (by recurrent_zoo below); an explicit setting in the environment wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS / "_ext"))
sys.path.insert(0, str(ROOT))

import recurrent_zoo

project = "recurrent_zoo"
author = "recurrent_zoo developers"
copyright = "recurrent_zoo developers"
version = release = recurrent_zoo.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # ships MathJax with the pages: equations render offline
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "rz_docs",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints", "auto_examples/**/*.md5"]
root_doc = "index"
default_role = "literal"
language = "en"

# -- autodoc / autosummary / numpydoc -----------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc Parameters sections say it, in words
autodoc_preserve_defaults = True  # show ``dtype=np.float64``, not ``<class 'numpy.float64'>``
autodoc_inherit_docstrings = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_validation_checks: set[str] = set()  # numpydoc's style linter is not run here

# -- sphinx-gallery -----------------------------------------------------------------------------
_FAMILY_TOPICS = [
    "classic",
    "gated",
    "wrappers",
    "associative",
    "reservoir",
    "continuous",
    "memory",
    "hierarchical",
    "recursive",  # trees and DAGs
]
_LAST_TOPICS = ["applications", "comparison"]
_RUN_GALLERY = os.environ.get("RZ_DOCS_NO_GALLERY", "") not in ("1", "true", "yes")

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "plot_gallery": _RUN_GALLERY,
    # the families in the catalogue's order, then any new topic folder, then applications
    "subsection_order": [
        *(f"../examples/{d}" for d in _FAMILY_TOPICS),  # relative to docs/
        "*",
        *(f"../examples/{d}" for d in _LAST_TOPICS),
    ],
    "within_subsection_order": "FileNameSortKey",
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("recurrent_zoo",),
    "reference_url": {"recurrent_zoo": None},
    "min_reported_time": 0,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "image_srcset": [],
    "show_memory": False,
    "download_all_examples": False,
    "prefer_full_module": {r"recurrent_zoo\..*"},
}

# -- HTML ---------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"recurrent_zoo {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "navbar_align": "left",
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"getting_started": [], "bptt": [], "benchmarks": [], "catalogue": []}
html_static_path: list[str] = []
html_show_sourcelink = False
html_last_updated_fmt = "%Y-%m-%d %H:%M"
