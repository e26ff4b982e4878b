"""Alert e-mails, all through the smtp provider's SmtpNotifier to SCOUT_ALERT_EMAIL over the
SCOUT_SMTP_CONN_ID connection (smtp_default):

- ``notify_failure``: on_failure_callback of every task (DAG defaults): which DAG, run and task failed
- ``deadline_alert``: a DAG run that overran its time budget (Airflow Deadline Alerts; sent by the triggerer)
- ``send_freshness``: a gold table older than SCOUT_FRESHNESS_SLA, once per breach, and its recovery
- ``send_unregistered``: stores and devices the marts met that RetailAdvisorDB does not know, once each

Subjects name the DAG and run or the table; bodies link to the Airflow UI (``[api] base_url``).
"""

from __future__ import annotations

import html
from datetime import timedelta
from typing import TYPE_CHECKING

from include.settings import Settings, load_settings

if TYPE_CHECKING:
    from include.orchestration.health import Freshness, HealthReport
    from include.orchestration.registry import Unregistered

SUBJECT_PREFIX = "[scout]"


def ui_url() -> str:
    from airflow.configuration import conf

    return conf.get("api", "base_url", fallback="http://127.0.0.1:8080").rstrip("/")


def _notifier(settings: Settings, subject: str, body: str):
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    return SmtpNotifier(
        to=settings.alert_email,
        from_email=settings.alert_from,
        subject=subject,
        html_content=body,
        smtp_conn_id=settings.smtp_conn_id,
    )


FAILURE_SUBJECT = f"{SUBJECT_PREFIX} {{{{ dag.dag_id }}}} failed: task {{{{ ti.task_id }}}} in run {{{{ run_id }}}}"
FAILURE_BODY = (
    "<p>Task <b>{{ ti.task_id }}</b> of DAG <b>{{ dag.dag_id }}</b> failed (try {{ ti.try_number }})"
    ' in run {{ run_id }}.</p><p>{{ exception | e }}</p><p><a href="{{ ti.log_url }}">Task log</a></p>'
)


def notify_failure(context) -> None:
    """on_failure_callback of every task (DAG defaults): an e-mail naming the DAG, run, task and error.

    The settings (recipient, connection) are read when a task fails, in the task's environment, not when
    the DAG file is parsed; the notifier renders the templates with the failed task's context."""
    _notifier(load_settings(), FAILURE_SUBJECT, FAILURE_BODY)(context)


def deadline_alert(interval: timedelta):
    """A Deadline Alert: an e-mail when a run of the DAG is still not done ``interval`` after it was queued."""
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier
    from airflow.sdk import AsyncCallback, DeadlineAlert, DeadlineReference

    settings = load_settings()
    seconds = interval.total_seconds()
    budget = f"{seconds / 60:g} minutes" if seconds >= 120 else f"{seconds:g} seconds"
    dag, run = "{{ dag_run.dag_id }}", "{{ dag_run.dag_run_id }}"  # rendered by the triggerer: no `ti` there
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=interval,
        callback=AsyncCallback(
            SmtpNotifier,
            kwargs={
                "to": settings.alert_email,
                "from_email": settings.alert_from,
                "smtp_conn_id": settings.smtp_conn_id,
                "subject": f"{SUBJECT_PREFIX} deadline missed: {dag} run {run}",
                "html_content": f"<p>Run {run} of DAG <b>{dag}</b> was not done {budget} after it was"
                f" queued (deadline {{{{ deadline.deadline_time }}}}).</p>"
                f'<p><a href="{ui_url()}/dags/{dag}/runs/{run}">The run</a></p>',
            },
        ),
    )


def _rows(items: list[Freshness]) -> str:
    return "".join(f"<li>{html.escape(f.describe())}</li>" for f in items)


def send_freshness(settings: Settings, report: HealthReport, dag_id: str) -> list[str]:
    """One e-mail for the tables that newly broke the SLA, one for those that recovered; returns the subjects."""
    sla_min = settings.freshness_sla_s / 60
    link = f'<p><a href="{ui_url()}/dags/{dag_id}">{dag_id} in Airflow</a></p>'
    job = f"<p>Job: {html.escape(report.state.describe())}. Health check: {html.escape(report.action)}.</p>"
    sent = []
    if report.new_breaches:
        tables = ", ".join(f.table for f in report.new_breaches)
        subject = f"{SUBJECT_PREFIX} freshness SLA missed ({sla_min:g} min): {tables}"
        body = (
            f"<p>No new rows for longer than {sla_min:g} minutes:</p><ul>{_rows(report.new_breaches)}</ul>{job}{link}"
        )
        _notifier(settings, subject, body).notify({})
        sent.append(subject)
    if report.recoveries:
        tables = ", ".join(f.table for f in report.recoveries)
        subject = f"{SUBJECT_PREFIX} freshness recovered: {tables}"
        body = f"<p>Fresh again (within {sla_min:g} minutes):</p><ul>{_rows(report.recoveries)}</ul>{job}{link}"
        _notifier(settings, subject, body).notify({})
        sent.append(subject)
    return sent


def send_unregistered(settings: Settings, newcomers: Unregistered) -> str:
    """One e-mail naming the stores and devices RetailAdvisorDB does not know yet; returns its subject."""
    named = sorted({*newcomers.stores, *newcomers.devices})
    subject = f"{SUBJECT_PREFIX} not registered in RetailAdvisorDB: {', '.join(named)}"
    items = "".join(f"<li>{html.escape(part)}</li>" for part in newcomers.lines())
    body = (
        f"<p>The marts met stores or devices RetailAdvisorDB does not know:</p><ul>{items}</ul>"
        "<p>Their interactions are kept and shown on the dashboard as unregistered; every other store's"
        " marts and exports are up to date. Register them (Stores / EdgeDeviceRegistry) and the next marts"
        " run fills in their names and places.</p>"
        f'<p><a href="{ui_url()}/dags/scout_marts">scout_marts in Airflow</a></p>'
    )
    _notifier(settings, subject, body).notify({})
    return subject
