"""What every test area shares: the project root and one strict MkDocs build.

(Importable from any test folder through `pythonpath` in pytest.ini.)
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_mkdocs_build(config, site_dir, env=None):
    """`mkdocs build --strict` of config into site_dir, run from the config's
    folder; the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict",
         "--config-file", str(config), "--site-dir", str(site_dir)],
        cwd=Path(config).parent, capture_output=True, text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", **(env or {})},
    )
