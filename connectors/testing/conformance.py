"""Placeholder; replaced below."""


class ConformanceTarget:  # pragma: no cover
    pass


class ConnectorConformance:  # pragma: no cover
    pass
