"""The steps of an import: upload, mapping, preview, confirmation, and the work behind them.

Services take `actor` and `now`, flush and never commit. The preview and the import itself go
through `consult.core.imports.jobs`: inside the request without Redis, in the worker with it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import flask
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from consult.core import audit
from consult.core.errors import RuleError
from consult.core.i18n import lazy_gettext as _l
from consult.core.imports import jobs, mapping
from consult.core.imports.kinds import ImportKind, Plan, get
from consult.core.imports.models import ImportBatch, ImportMapping
from consult.core.imports.reading import Table, read_table
from consult.extensions import db

#: How long an unfinished batch (and the personal data in its file) is kept.
KEEP_UNFINISHED = timedelta(days=1)


def kind_of(batch: ImportBatch) -> ImportKind:
    """The registered kind of a batch (a batch of an unknown kind cannot be opened)."""
    kind = get(batch.kind)
    if kind is None:
        raise LookupError(batch.kind)
    return kind


def upload(
    actor, kind: ImportKind, target, raw: bytes, *, filename: str, options: dict, now: datetime
) -> ImportBatch:
    """Read a file and keep it for the next steps; the mapping is proposed from what is known."""
    kind.check_access(actor, target)
    table = read_table(raw, max_rows=kind.max_rows)
    # Links in e-mails written by the worker use SITE_URL, never the request's Host header.
    options = {"base_url": flask.current_app.config["SITE_URL"] + "/", **options}
    forget_stale(now)
    remembered = db.session.get(ImportMapping, kind.key)
    batch = ImportBatch(
        kind=kind.key,
        target_id=getattr(target, "id", 0) or 0,
        filename=(filename or "")[:255],
        file_format=table.file_format,
        content=raw,
        columns=list(table.columns),
        row_count=len(table.rows),
        mapping=mapping.suggest(
            table.columns, kind.fields_for(target), remembered and remembered.columns
        ),
        options=options,
        created_by_id=getattr(actor, "id", None),
        created_at=now,
    )
    db.session.add(batch)
    db.session.flush()
    return batch


def upload_posted(actor, kind: ImportKind, target, posted, *, now: datetime) -> ImportBatch:
    """`upload` for a file posted with an area's form (a werkzeug FileStorage): its name is kept
    with the batch and in the options, where the kinds find it for their audit records."""
    name = posted.filename or ""
    return upload(
        actor, kind, target, posted.read(), filename=name, options={"filename": name}, now=now
    )


def table_of(batch: ImportBatch) -> Table:
    """The batch's file read again (it was readable at upload, so it still is)."""
    return read_table(batch.content or b"", max_rows=kind_of(batch).max_rows)


def choose_mapping(actor, batch: ImportBatch, chosen: list[str | None], *, now: datetime) -> None:
    """Keep the organiser's mapping (remembered for the next file), then compute the preview."""
    kind = kind_of(batch)
    _require(batch, ("uploaded", "previewed"))
    fields = kind.fields_for(kind.load_target(batch.target_id) if batch.target_id else None)
    keys = {f.key for f in fields}
    chosen = [key if key in keys else None for key in chosen]
    if len(chosen) != len(batch.columns):
        raise RuleError(_l("Choose a field (or “leave out”) for every column."))
    problems = mapping.problems(chosen, fields)
    if problems:
        raise RuleError(problems[0])
    batch.mapping = chosen
    remembered = db.session.get(ImportMapping, kind.key)
    if remembered is None:
        remembered = ImportMapping(kind=kind.key, columns={}, updated_at=now)
        db.session.add(remembered)
    remembered.columns = {**remembered.columns, **mapping.to_remember(batch.columns, chosen)}
    remembered.updated_at = now
    batch.status = "previewing"
    batch.plan = None
    batch.progress = 0
    db.session.flush()
    jobs.submit(batch)


def confirm(actor, batch: ImportBatch, *, now: datetime) -> None:
    """Start the import the preview showed; a second click, or a second import, is refused."""
    kind = kind_of(batch)
    kind.check_access(actor, kind.load_target(batch.target_id) if batch.target_id else None)
    plan = batch.plan or {}
    if plan.get("refused") and not kind.allow_partial:
        raise RuleError(_l("Correct the refused lines in the file and send it again."))
    if not (plan.get("create") or plan.get("update") or plan.get("remove")):
        raise RuleError(_l("This file changes nothing: there is nothing to import."))
    try:
        # Only one request can move the batch from previewed to queued; the partial unique
        # index lets one import at a time under way into the same place.
        moved = db.session.execute(
            update(ImportBatch)
            .where(ImportBatch.id == batch.id, ImportBatch.status == "previewed")
            .values(status="queued", confirmed_at=now, progress=0)
            .execution_options(synchronize_session=False)
        ).rowcount
    except IntegrityError:
        db.session.rollback()
        raise RuleError(
            _l("Another import into the same place is under way: wait until it is over.")
        ) from None
    if not moved:
        raise RuleError(_l("This import has already been started."))
    db.session.refresh(batch)
    audit.record(
        actor,
        "imports.confirm",
        batch,
        now=now,
        after={"kind": batch.kind, "filename": batch.filename, "rows": batch.row_count},
    )
    jobs.submit(batch)


def cancel(actor, batch: ImportBatch, *, now: datetime) -> None:
    """Give up a file before its import starts; its content is deleted."""
    _require(batch, ("uploaded", "previewed", "failed"))
    batch.status = "cancelled"
    batch.content = None
    batch.finished_at = now
    db.session.flush()


def forget_stale(now: datetime) -> None:
    """Delete the files of imports left unfinished for a day (they hold personal data)."""
    db.session.execute(
        update(ImportBatch)
        .where(
            ImportBatch.created_at < now - KEEP_UNFINISHED,
            ImportBatch.status.in_(("uploaded", "previewing", "previewed", "failed")),
        )
        .values(status="cancelled", content=None, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(ImportBatch)
        .where(ImportBatch.created_at < now - 30 * KEEP_UNFINISHED, ImportBatch.content.is_(None))
        .execution_options(synchronize_session=False)
    )


def _require(batch: ImportBatch, statuses: tuple[str, ...]) -> None:
    """Refuse a step the batch is not ready for (a stale page, a second tab)."""
    if batch.status not in statuses:
        raise RuleError(_l("This import has moved on since this page was shown."))


# --------------------------------------------------------------------------- work (jobs)


def compute_plan(batch: ImportBatch, *, now: datetime, progress: Callable) -> Plan:
    """Read the file through the mapping and let the kind decide what each row would do."""
    kind = kind_of(batch)
    table = table_of(batch)
    progress(1, 4)
    target = kind.load_target(batch.target_id) if batch.target_id else None
    return plan_table(kind, target, table, batch.mapping or [], batch.options or {}, now)


def plan_table(
    kind: ImportKind, target, table: Table, chosen: list, options: dict, now: datetime
) -> Plan:
    """The kind's plan for a table read through the ``chosen`` mapping, with the lines the
    reading refused among its refusals, in the order of the file."""
    plan = kind.plan(target, list(mapping.records(table.rows, chosen)), options, now)
    for line, message in table.problems:
        plan.refuse(line, message)
    plan.refused.sort(key=lambda item: item[0])
    return plan


def run_preview(batch: ImportBatch, *, now: datetime, progress: Callable) -> None:
    """The preview step of a job: the plan's counts and refusals, stored on the batch."""
    batch.plan = compute_plan(batch, now=now, progress=progress).summary()
    batch.status = "previewed"


def run_import(batch: ImportBatch, *, now: datetime, progress: Callable) -> None:
    """The confirmed import: plan again (the data may have moved) and write it, all or nothing."""
    kind = kind_of(batch)
    plan = compute_plan(batch, now=now, progress=lambda done, total: None)
    if plan.refused and not kind.allow_partial:
        raise RuleError(_l("Correct the refused lines in the file and send it again."))
    target = kind.load_target(batch.target_id) if batch.target_id else None
    actor = None
    if batch.created_by_id:
        from consult.accounts.models import User

        actor = db.session.get(User, batch.created_by_id)
    result = kind.apply(actor, target, plan, batch.options or {}, now, progress)
    result.setdefault("refused", len(plan.refused))
    batch.result = result
    batch.status = "done"
    batch.content = None
    audit.record(actor, "imports.done", batch, now=now, after={"kind": batch.kind, **result})


def open_batches(kind: ImportKind, target_id: int = 0) -> list[ImportBatch]:
    """Imports of this kind and target not finished yet, newest first (for the area's page)."""
    return list(
        db.session.scalars(
            select(ImportBatch)
            .where(
                ImportBatch.kind == kind.key,
                ImportBatch.target_id == target_id,
                ImportBatch.status.not_in(("done", "cancelled")),
            )
            .order_by(ImportBatch.id.desc())
        )
    )


def samples(batch: ImportBatch, count: int) -> list[tuple[str, ...]]:
    """The first rows of the file, shown under the columns to help the organiser recognise them."""
    return [cells for _line, cells in table_of(batch).rows[:count]]
