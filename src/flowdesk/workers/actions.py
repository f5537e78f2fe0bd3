"""Running one job attempt: resolve secrets just in time, call the URL, report the outcome."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

from .. import logs
from ..bpmn import connectors
from ..engine.access import secrets, signing_keys
from ..engine.models import JobKind
from ..engine.process import job_credentials, job_results, jobs, webhooks
from ..engine.process.job_results import Outcome
from ..engine.process.jobs import ClaimedJob
from ..engine.store import tenancy
from ..engine.store.runtime import Runtime
from .http_action import ActionError, ActionRefused, ActionRequest, call_action

log = logging.getLogger(__name__)


def _spellings(value: str) -> set[str]:
    """The forms a secret takes once it is part of a URL (httpx lowercases and IDNA- or
    percent-encodes hosts, and percent-encodes paths), so each of them can be scrubbed."""
    forms = {value, value.lower(), quote(value, safe=""), quote(value), quote(value.lower(), safe="")}
    try:
        forms.add(value.encode("idna").decode("ascii"))
    except UnicodeError:
        pass
    return {form for form in forms if form}


def _scrub(text: str, values: list[str]) -> str:
    """Answers may echo what was sent; a secret in them must never reach the database or logs."""
    for value in values:
        for form in sorted(_spellings(value) if value else (), key=len, reverse=True):
            text = re.sub(re.escape(form), "***", text, flags=re.IGNORECASE)
    return text


def _failure(message: str, claimed: ClaimedJob, used: list[str]) -> str:
    """Error text about the call, naming the URL as the model wrote it ({{secret:...}} unresolved)."""
    return _scrub(f"{message} (URL {job_credentials.shown(claimed.url)})", used)


def _needs_database(claimed: ClaimedJob) -> bool:
    """Whether preparing the call reads anything: a secret reference, or a webhook's own key."""
    return claimed.kind == JobKind.WEBHOOK.value or any(
        secrets.REFERENCE.search(text) for text in (claimed.url, *claimed.headers.values()))


def _prepare(rt: Runtime, claimed: ClaimedJob) -> tuple[ActionRequest, bytes, list[str]]:
    """The request with ``{{secret:NAME}}`` resolved, the signing keys, and the secret values used."""
    url, headers, used = claimed.url, dict(claimed.headers), []
    key = None if claimed.kind == JobKind.WEBHOOK.value else signing_keys.keys_for(
        rt, claimed.tenant_id, signing_keys.ACTION_SIGNING)
    if _needs_database(claimed):  # most calls have nothing to look up: no transaction for them
        with rt.uow() as uow:

            for_model = claimed.kind != JobKind.WEBHOOK.value  # webhook URLs are an admin's, not a model's

            def resolve(text: str) -> str:
                resolved = secrets.resolve(uow.session, rt.secret_box, text, for_model)
                for match in secrets.REFERENCE.finditer(text):
                    used.append(secrets.resolve(uow.session, rt.secret_box, match.group(0), for_model))
                return resolved

            url = resolve(claimed.url)
            headers = {name: resolve(value) for name, value in claimed.headers.items()}
            if claimed.kind == JobKind.WEBHOOK.value:
                key = webhooks.subscription_secret(rt, uow.session, claimed.subscription_id).encode()
                used.append(key.decode())
                headers["X-Flowdesk-Event"] = str((claimed.body or {}).get("event", ""))
    # Credentials the job row keeps sealed are opened last, right before the call.
    url = job_credentials.open_text(rt.secret_box, url, used, in_url=True)
    headers = {name: job_credentials.open_basic(job_credentials.open_text(rt.secret_box, value, used), used)
               for name, value in headers.items()}
    body = job_credentials.open_body(rt.secret_box, claimed.body, used)
    headers.update(claimed.extra_headers)
    request = ActionRequest(url=url, method=claimed.method, headers=headers, body=body,
                            timeout=claimed.timeout, idempotency_key=claimed.id)
    return request, key, used


def attempt(rt: Runtime, claimed: ClaimedJob) -> Outcome:
    """Make the call for ``claimed``; every failure becomes an :class:`Outcome`, never an exception."""
    used: list[str] = []
    try:
        request, key, used = _prepare(rt, claimed)
        response = call_action(request, signing_secret=key, allow_hosts=rt.action_allow_hosts)
    except secrets.MissingSecret as exc:
        return Outcome("refused", message=f"secret '{exc.args[0]}' {exc.reason}", retryable=False)
    except ActionRefused as exc:
        return Outcome("refused", message=_failure(exc.message, claimed, used), retryable=False)
    except ActionError as exc:
        return Outcome("error", message=_failure(exc.message, claimed, used), retryable=exc.retryable)
    body = response.body
    if (claimed.result_shape or {}).get("kind") == connectors.SPIFFARENA:
        try:
            body = connectors.spiffarena_result(claimed.result_shape.get("operator", ""), response.status_code,
                                                response.headers.get("content-type", ""), response.text)
        except ValueError as exc:
            return Outcome("error", status_code=response.status_code, message=_scrub(str(exc), used)[:300],
                           retryable=False)
    return Outcome("response", status_code=response.status_code, body=body,
                   message="" if 200 <= response.status_code < 300 else _scrub(response.text[:300], used))


def perform(rt: Runtime, job_id: str) -> str:
    """One job: claim, call, report. Returns the job's status afterwards."""
    logs.job_id.set(job_id)
    claimed = jobs.claim(rt, job_id)
    if claimed is None:
        return "skipped"
    try:
        with tenancy.acting_for(claimed.tenant_id):  # its secrets and webhook keys are its tenant's
            outcome = attempt(rt, claimed)
    except (SystemExit, KeyboardInterrupt):
        # A cold shutdown cut the call short: hand the job back at once instead of leaving
        # it to a lease that expires later. The next worker repeats the call with the same
        # Idempotency-Key, so an action that did its work already can tell.
        job_results.hand_back(rt, job_id, claimed.attempt, "the worker was stopped during the call")
        log.warning("job %s attempt %s handed back: the worker is stopping", job_id, claimed.attempt)
        raise
    status = job_results.finish(rt, job_id, claimed.attempt, outcome)
    log.info("job %s attempt %s: %s -> %s", job_id, claimed.attempt, outcome.kind, status)
    return status
