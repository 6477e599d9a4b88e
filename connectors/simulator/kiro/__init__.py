"""The simulated Kiro: report CSV files written into a folder, as Kiro writes them into S3.

Kiro has no API, so this vendor serves nothing over HTTP: ``KiroReports(...).write(folder)``
writes the ``user_report`` and legacy ``by_user_analytic`` files for the generated team, and
``expected_billed_micros(day)`` says what the team was billed (``reports.py``).
"""

from connectors.simulator.kiro.reports import KiroReports

__all__ = ["KiroReports"]
