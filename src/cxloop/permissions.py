"""What each role and each API token scope may do: the one permission matrix.

Every page and API route declares the single permission it needs (see `cxloop.web.deps`), and the
authorization-matrix test walks all routes against this table. Pure data, no I/O.
"""

from __future__ import annotations

from enum import StrEnum

from cxloop.domain import Role, TokenScope


class Permission(StrEnum):
    FEEDBACK_READ = "feedback.read"
    FEEDBACK_INGEST = "feedback.ingest"  # send records through the API or import files
    CUSTOMERS_READ = "customers.read"
    PII_VIEW = "pii.view"  # unmasked identifiers and raw text
    IDENTITY_MANAGE = "identity.manage"  # merge, unmerge, review match candidates
    CASES_READ = "cases.read"
    CASES_WORK = "cases.work"  # change cases of one's own teams, reply, add notes
    CASES_MANAGE = "cases.manage"  # any team's cases, reassignment across teams
    RULES_EDIT = "rules.edit"  # routing and alert rules, SLA policies
    ACTIONS_MANAGE = "actions.manage"  # improvement actions
    KPIS_READ = "kpis.read"  # KPIs, journeys, trends
    TAXONOMY_EDIT = "taxonomy.edit"
    USERS_MANAGE = "users.manage"  # users, roles, teams, API tokens
    AUDIT_READ = "audit.read"
    CONSENT_MANAGE = "consent.manage"
    DSR_EXECUTE = "dsr.execute"  # data-subject export and erasure
    RETENTION_MANAGE = "retention.manage"
    QUALITY_READ = "quality.read"
    SYSTEM_ADMIN = "system.admin"  # keys, settings, anything operational


_P = Permission
_READ_ONLY = {_P.FEEDBACK_READ, _P.CUSTOMERS_READ, _P.CASES_READ, _P.KPIS_READ}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MANAGER: frozenset(
        _READ_ONLY
        | {
            _P.FEEDBACK_INGEST,
            _P.PII_VIEW,
            _P.IDENTITY_MANAGE,
            _P.CASES_WORK,
            _P.CASES_MANAGE,
            _P.RULES_EDIT,
            _P.ACTIONS_MANAGE,
            _P.TAXONOMY_EDIT,
            _P.QUALITY_READ,
        }
    ),
    Role.AGENT: frozenset(_READ_ONLY | {_P.PII_VIEW, _P.CASES_WORK}),
    # Analysts work with aggregates and masked text; they never see raw PII.
    Role.ANALYST: frozenset(_READ_ONLY | {_P.ACTIONS_MANAGE, _P.TAXONOMY_EDIT, _P.QUALITY_READ}),
    Role.DATA_STEWARD: frozenset(
        _READ_ONLY
        | {
            _P.FEEDBACK_INGEST,
            _P.PII_VIEW,
            _P.IDENTITY_MANAGE,
            _P.AUDIT_READ,
            _P.CONSENT_MANAGE,
            _P.DSR_EXECUTE,
            _P.RETENTION_MANAGE,
            _P.QUALITY_READ,
            _P.TAXONOMY_EDIT,  # stewards own data definitions, the topic taxonomy among them
        }
    ),
    Role.VIEWER: frozenset({_P.FEEDBACK_READ, _P.KPIS_READ}),
}

# Tokens are for machines: `ingest` feeds data in, `read` reads it out (masked), `admin` does all.
SCOPE_PERMISSIONS: dict[TokenScope, frozenset[Permission]] = {
    TokenScope.INGEST: frozenset({_P.FEEDBACK_INGEST}),
    TokenScope.READ: frozenset(_READ_ONLY | {_P.QUALITY_READ}),
    TokenScope.ADMIN: frozenset(Permission),
}


def role_allows(role: str, permission: Permission) -> bool:
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False  # a role this version does not know grants nothing


def scopes_allow(scopes: frozenset[TokenScope], permission: Permission) -> bool:
    return any(permission in SCOPE_PERMISSIONS[scope] for scope in scopes)
