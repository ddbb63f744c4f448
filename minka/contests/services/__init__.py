"""Every write of the seal contest: editions, their calendar and cuts, versions of the rules
and their freezing, registrations and their review, means of verification and their
review, frozen readings, published scores and appeals. Each is atomic and leaves an
`AuditEntry` (who, when, before, after, why); bad input raises ValidationError in the
user's language and changes nothing.

A package since it passed ~600 lines (DESIGN, Conventions 1); everything is importable
from `minka.contests.services` as before.
"""

from minka.contests.services.appeals import appeal_deadline, appeal_file, appeal_resolve
from minka.contests.services.common import (
    audit_record,
    require_coordinator,
    require_coordinator_of,
)
from minka.contests.services.editions import (
    COUNCIL_ACT_KINDS,
    COUNCIL_ACT_MAX_BYTES,
    RulesRejected,
    contest_create,
    cut_set,
    edition_create,
    file_refusal,
    phase_set,
    registration_open,
    registration_review,
    registration_submit,
    rules_version_save,
)
from minka.contests.services.evidence import (
    EVIDENCE_KINDS,
    EVIDENCE_MAX_BYTES,
    ChecksumMismatch,
    evidence_file_read,
    evidence_review,
    evidence_upload,
    file_read_verified,
)
from minka.contests.services.scores import cut_readings_freeze, scores_publish

__all__ = [
    "COUNCIL_ACT_KINDS",
    "COUNCIL_ACT_MAX_BYTES",
    "EVIDENCE_KINDS",
    "EVIDENCE_MAX_BYTES",
    "ChecksumMismatch",
    "RulesRejected",
    "appeal_deadline",
    "appeal_file",
    "appeal_resolve",
    "audit_record",
    "contest_create",
    "cut_readings_freeze",
    "cut_set",
    "edition_create",
    "evidence_file_read",
    "evidence_review",
    "evidence_upload",
    "file_read_verified",
    "file_refusal",
    "phase_set",
    "registration_open",
    "registration_review",
    "registration_submit",
    "require_coordinator",
    "require_coordinator_of",
    "rules_version_save",
    "scores_publish",
]
