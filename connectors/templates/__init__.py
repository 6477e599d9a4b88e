"""Templates of ``aispend connectors new`` (``connectors.scaffold``), as ``string.Template`` files."""
