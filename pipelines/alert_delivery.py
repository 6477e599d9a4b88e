"""Delivering budget alerts: a Slack-compatible webhook and/or email over SMTP.

Each pending alert is sent to every configured channel; it counts as delivered when all of
them took it. A failure is recorded on the alert (the webhook's address, a secret, never
appears in it) and the alert stays pending, so the next run retries it: an event is never
lost, and a delivered one is never sent again.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

import httpx

from warehouse import budgets
from warehouse.settings import Settings
from warehouse.tenants import TenantRef

TIMEOUT_S = 10


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    unconfigured: bool = False


def _webhook(url: str, text: str) -> None:
    try:
        response = httpx.post(url, json={"text": text}, timeout=TIMEOUT_S, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"webhook: {type(exc).__name__}") from None
    if response.status_code >= 300:
        raise DeliveryFailed(f"webhook: HTTP {response.status_code}")


def _email(settings: Settings, subject: str, text: str) -> None:
    host, _, port = (settings.alert_smtp or "").rpartition(":")
    message = EmailMessage()
    message["From"] = settings.alert_email_from
    message["To"] = ", ".join(settings.alert_email_to)
    message["Subject"] = subject
    message.set_content(text)
    try:
        with smtplib.SMTP(host or settings.alert_smtp, int(port or 25), timeout=TIMEOUT_S) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException, ValueError) as exc:
        raise DeliveryFailed(f"smtp: {type(exc).__name__}: {exc}") from None


class DeliveryFailed(Exception):
    pass


def deliver_pending(engine, tenant: TenantRef, settings: Settings) -> DeliveryReport:
    """Try every undelivered alert of the tenant once on every configured channel."""
    report = DeliveryReport()
    email = bool(settings.alert_smtp and settings.alert_email_to)
    if not settings.alert_webhook_url and not email:
        report.unconfigured = True
        return report
    for alert in budgets.pending_alerts(engine, tenant):
        try:
            if settings.alert_webhook_url:
                _webhook(settings.alert_webhook_url, alert.message)
            if email:
                subject = f"aispend budget alert: {alert.kind} ({alert.period})"
                _email(settings, subject, alert.message)
        except DeliveryFailed as exc:
            budgets.mark_delivery(engine, alert.id, str(exc))
            report.failed += 1
            continue
        budgets.mark_delivery(engine, alert.id, None)
        report.delivered += 1
    return report
