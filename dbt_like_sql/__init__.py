"""The SQL models behind the marts: one SELECT per ``.sql`` file, shipped as package data.

Each file starts with a YAML header in a block comment, then the SELECT::

    /*
    description: Spend per member and day.
    kind: incremental_by_month          # or: full
    time_column: day                    # incremental only: the output's period column
    time_column_type: date              # date (a DATE) or month (text 'YYYY-MM')
    reads_previous_months: 0            # a month's rows read this many months before it
    grain: [tenant_id, member_id, day]  # unique together (an implied `unique` test)
    indexes: [[tenant_id, day]]         # for the readers
    tests:
      not_null: [tenant_id, day]
      non_negative: [billed_cost_micros]
      accepted_values: {member_group: [member, unlinked]}
    */
    select ...

The SQL is written once in the portable subset both SQLite and PostgreSQL accept, with macros
(``@month``, ``@prev_month``, ``@add_days``, ``@safe_div``, ``@money_sum``, ``@int_sum``,
``@setting``, ``@scope_days``, ``@scope_months``) for what differs; ``warehouse.sql_models``
renders and checks it. Dependencies are read from the SQL itself.
"""

from importlib.resources import files
from importlib.resources.abc import Traversable


def models_dir() -> Traversable:
    """Where the shipped ``.sql`` files are (inside the installed package)."""
    return files(__name__)
