"""Skip this distribution's tests when it is not installed (aispend's own suite collects
``tests/`` recursively; ``tests/test_example_plugin.py`` installs it and runs them)."""

import importlib.util

collect_ignore_glob = [] if importlib.util.find_spec("aispend_example_connector") else ["tests/*"]
