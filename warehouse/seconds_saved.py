"""Estimated seconds an assistant saves per unit of an activity metric: the defaults of the
marts (``member_daily``'s ``seconds_saved``: ``activity_days.default_seconds_saved``, stored
when a day is written by ``warehouse.activity_measures``, and the ``@seconds_per_unit`` macro)
and of the suggestions. A tenant overrides one with the setting
``marts.seconds_saved.<metric>`` = ``{"value": seconds}``. Metrics not listed save no
estimated time. Documented in the README ("Marts"). Changing one here needs a migration that
recomputes ``activity_days.default_seconds_saved`` (see ``warehouse.activity_measures``)."""

SECONDS_SAVED_PER_UNIT = {
    "accepted_lines_added": 6,  # a line of code accepted from the assistant
    "lines_added": 6,  # Claude Code: a line it wrote
    "chat_requests": 30,
    "agent_requests": 60,
    "composer_requests": 60,
    "cmdk_usages": 15,
    "pull_requests": 600,
}
