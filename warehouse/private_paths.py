"""Files and folders only their owner may read: $AISPEND_HOME, the SQLite warehouse, Dagster's
home. Created 0700 (folders) and 0600 (files) whatever the umask; existing ones are tightened."""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path, *, tighten: bool = True) -> Path:
    """Create ``path`` (and missing parents) as 0700; tighten ``path`` itself if it exists
    (unless ``tighten`` is false: a folder given by the user, which may be /tmp).

    Only the folders created here and ``path`` are changed: an existing parent such as the
    user's home or /tmp is left alone."""
    path = Path(path)
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for folder in reversed(missing):
        folder.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(folder, DIR_MODE)
    if tighten and path.is_dir() and path.stat().st_uid == os.getuid():
        os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty as 0600 when it does not exist; tighten it when it does (ours)."""
    path = Path(path)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE))
    if path.stat().st_uid == os.getuid():
        os.chmod(path, FILE_MODE)
    return path
