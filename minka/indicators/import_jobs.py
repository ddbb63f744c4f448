"""Imports started from a page: keep the file, run the dry run as a job, confirm it.

The ImportBatch row is the job's record (docs/adr/0003-job-runner.md). What the user sent
is stored first, under MEDIA_ROOT/imports/<sha256> ("nothing a user submitted is ever
lost"), so a failed job can be looked at and run again, and the confirmation re-runs the
very bytes the dry run checked, never a second upload. The options of the run (identifier
scheme, the mapping file's digest, which dry run a real import confirms) are kept in the
summary under `importOptions`, the key DHIS2 uses for them.

Invariants:
- a confirmation runs only on the creator's own dry run, which must have finished as
  checked with no conflicts, and only once;
- a job that raises leaves its batch `failed` with the error text in the summary; the
  import itself is atomic (values_import), so nothing of it is written.
"""

from __future__ import annotations

import hashlib
import json
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minka.indicators.models import ImportBatch
from minka.jobs import job_progress_clear, job_progress_set, job_start

IMPORT_FILES = "imports"


def import_file_store(*, content: bytes) -> str:
    """Keep a submitted file under its SHA-256 and return the digest. Written once: the
    same bytes sent again are already there."""
    digest = hashlib.sha256(content).hexdigest()
    name = f"{IMPORT_FILES}/{digest}"
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(content))
    return digest


def import_file_read(*, sha256: str) -> bytes:
    with default_storage.open(f"{IMPORT_FILES}/{sha256}", "rb") as handle:
        content: bytes = handle.read()
    return content


def progress_key(batch_id: int) -> str:
    return f"import-{batch_id}"


def import_options(batch: ImportBatch) -> dict[str, Any]:
    options = (batch.summary or {}).get("importOptions")
    return options if isinstance(options, dict) else {}


@transaction.atomic
def import_start(
    *,
    content: bytes,
    file_name: str,
    format: str,
    user: Any,
    id_scheme: str = "code",
    mapping: dict[str, Any] | None = None,
) -> ImportBatch:
    """Store the file, record a pending dry run, and start it as a job."""
    digest = import_file_store(content=content)
    mapping_digest = ""
    if mapping is not None:
        mapping_digest = import_file_store(
            content=json.dumps(mapping, ensure_ascii=False, sort_keys=True).encode("utf-8")
        )
    batch = ImportBatch.objects.create(
        format=format,
        file_name=file_name[:255],
        sha256=digest,
        dry_run=True,
        status=ImportBatch.Status.PENDING,
        created_by=user,
        summary={
            "importOptions": {"dryRun": True, "idScheme": id_scheme, "mapping": mapping_digest}
        },
    )
    _schedule(batch)
    return batch


def import_confirmable(*, checked: ImportBatch, user: Any) -> str | None:
    """Why this dry run cannot be confirmed by this user, or None if it can."""
    if not checked.dry_run or checked.created_by_id != getattr(user, "pk", None):
        return _("Only the person who ran this dry run can confirm it.")
    if checked.status != ImportBatch.Status.CHECKED:
        return _("Only a finished dry run can be confirmed.")
    if (checked.summary or {}).get("conflicts"):
        return _("This dry run found conflicts: correct the file and import it again.")
    from minka.indicators.page_selectors import import_batch_confirmation

    if import_batch_confirmation(checked=checked) is not None:
        return _("This dry run was confirmed already.")
    return None


@transaction.atomic
def import_confirm(*, checked: ImportBatch, user: Any) -> ImportBatch:
    """Run the checked dry run's file for real, with the same options, as a new batch."""
    # Lock the dry run so two clicks on "Confirm" cannot both pass the checks.
    checked = ImportBatch.objects.select_for_update().get(pk=checked.pk)
    reason = import_confirmable(checked=checked, user=user)
    if reason:
        raise ValidationError(reason)
    batch = ImportBatch.objects.create(
        format=checked.format,
        file_name=checked.file_name,
        sha256=checked.sha256,
        dry_run=False,
        status=ImportBatch.Status.PENDING,
        created_by=user,
        summary={
            "importOptions": {**import_options(checked), "dryRun": False, "confirms": checked.pk}
        },
    )
    _schedule(batch)
    return batch


def _schedule(batch: ImportBatch) -> None:
    job_start(
        name=progress_key(batch.pk),
        work=partial(_import_run, batch.pk),
        on_failure=partial(_import_failed, batch.pk),
    )


def _import_run(batch_id: int) -> None:
    """The job: run values_import on the stored file. It keeps the batch's `importOptions`
    in the summary it writes, and refreshes the analytics after a real import."""
    from minka.indicators.imports import values_import

    batch = ImportBatch.objects.select_related("created_by").get(pk=batch_id)
    options = import_options(batch)
    ImportBatch.objects.filter(pk=batch_id).update(status=ImportBatch.Status.RUNNING)
    content = import_file_read(sha256=batch.sha256)
    mapping = None
    if options.get("mapping"):
        mapping = json.loads(import_file_read(sha256=options["mapping"]).decode("utf-8"))
    key = progress_key(batch_id)

    def progress(done: int, total: int) -> None:
        job_progress_set(key=key, done=done, total=total)

    try:
        values_import(
            content=content,
            file_name=batch.file_name,
            format=batch.format,
            dry_run=batch.dry_run,
            user=batch.created_by,
            mapping=mapping,
            id_scheme=options.get("idScheme") or "code",
            batch=batch,
            progress=progress,
        )
    finally:
        job_progress_clear(key=key)


def failure_description(error: BaseException, format: str) -> str:
    """What a person reads about a job that raised, in their language."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, UnicodeDecodeError | ValueError):
        return _("The file could not be read as %(format)s: %(error)s") % {
            "format": format,
            "error": error,
        }
    return _("The import stopped because of an unexpected error: %(error)s") % {
        "error": f"{type(error).__name__}: {error}"
    }


def _import_failed(batch_id: int, error: BaseException) -> None:
    """Record why the job failed; the stored file stays for a new attempt."""
    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        return
    options = import_options(batch)
    batch.status = ImportBatch.Status.FAILED
    batch.finished_at = timezone.now()
    batch.summary = {
        "status": "ERROR",
        "description": failure_description(error, batch.format),
        "importOptions": options,
        "conflicts": [],
    }
    batch.save(update_fields=["status", "finished_at", "summary"])
