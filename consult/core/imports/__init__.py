"""One import mechanism for every file organisers bring in: reading, mapping, preview, import.

How an import plugs in (an area adds one kind of import):

1. In the area, subclass `ImportKind` (`consult.core.imports.kinds`) and `register()` one instance
   when the module loads (import it from the area's `views.py`). Give it a `key` ("area.what"),
   a `title`, the `roles` that may use it, and its `fields`: `Field(key, label, synonyms,
   required, hint)`; `COMMON_SYNONYMS` holds French and English column names for the usual ones
   (« Courriel », « E-mail », « Adresse électronique » for "email", ...).
2. Write `plan(target, records, options, now)`: `records` are `(line, {field key: text})`; check
   each with the area's pure rules and put it in `Plan.create`, `Plan.update`, `Plan.remove`,
   count it in `Plan.unchanged`, or `Plan.refuse(line, _l("Reason “%(value)s”", value=...))`.
   `Plan.accepted(records, read, RowType, email=repeated)` reads each record with the area's
   rule, refuses the lines it rejects and those repeating an earlier line's e-mail (or any
   other attribute named), and yields the others as (line, row).
   Write nothing: the plan is made for the preview and again at confirmation, and the same file
   imported twice must plan nothing to create (so the import is idempotent).
3. Write `apply(actor, target, plan, options, now, progress)`: write the plan, flush, never
   commit (the job commits, all or nothing), call `progress(done, total)` every few hundred rows,
   and return counts (`created`, `updated`, ...) that `done_message()` turns into a sentence.
   E-mails go through `consult.core.mail.queue_mail` so they leave only after the commit, at the
   configured rate.
4. On the area's page, an upload form posts the file; the view calls
   `services.upload(actor, kind, target, raw, filename=..., options={...}, now=...)` and redirects
   to `url_for("core.imports.columns", batch_id=batch.id)`. Decorate that view with
   `consult.core.imports.views.large_upload` (under `@role_required`) so that it accepts files
   above the site's usual request size. The shared pages then show the
   mapping (last choice remembered per kind), the preview (counts, refused lines with their
   reasons), the confirmation, a progress bar for large files (RQ worker), and the result, and
   come back to `kind.back_url(target)`.

Files are read by `reading.read_table` (format from the content: CSV in Excel's and
LibreOffice's dialects, XLSX, ODS, XLS), with size and row limits checked before parsing.
"""

from consult.core.imports.kinds import ImportKind, Plan, register
from consult.core.imports.mapping import COMMON_SYNONYMS, Field

__all__ = ["COMMON_SYNONYMS", "Field", "ImportKind", "Plan", "register"]
