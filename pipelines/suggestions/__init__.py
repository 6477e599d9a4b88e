"""The suggestion machine: one fun, personal suggestion per member and month.

``inputs`` aggregates a member's month (the only module reading the warehouse's facts),
``prompt`` and ``llm`` ask Claude through the anthropic SDK, ``offline`` writes one without a
key, ``generate`` caches and regenerates, ``assets`` is the Dagster side. Nothing here but
``assets`` imports Dagster, so the dashboard can stream a regeneration through ``generate``.
"""
