"""The shapes of AWS identifiers, checked exactly (ASCII only, whole string, no newline).

Every checker returns ``None`` for a well-formed value, else a short phrase saying what is
wrong, for a message like ``expected a KMS key ARN ...: <phrase>``. Patterns use ``[0-9]``
(``\\d`` also matches other scripts' digits) and ``fullmatch`` (``$`` matches before a
trailing newline).

Shapes (AWS API references: KMS KeyId, CreateAlias; AWS Backup CreateBackupVault; IAM
identifiers; Organizations Organization.Id; ARN format in the IAM User Guide):

* account: 12 ASCII digits;
* partition: ``aws``, ``aws-cn``, ``aws-us-gov``, ``aws-iso``, ``aws-iso-b`` (and the other
  ``aws-iso-*``), ``aws-eusc``; Region: ``us-east-1``, ``us-gov-west-1``, ``eusc-de-east-1``;
* KMS key ID: a lowercase UUID, or ``mrk-`` and 32 lowercase hex digits (multi-Region);
  alias name: ``alias/`` then 1-250 of ``A-Z a-z 0-9 / _ -``;
* backup vault name: 2-50 of ``A-Z a-z 0-9 - _``;
* IAM role: ``role/`` then an optional path and a name of 1-64 of ``A-Z a-z 0-9 + = , . @ _ -``;
* organization ID: ``o-`` and 10-32 lowercase letters or digits;
* resource ARNs: any service, with the Region and account empty or well-formed; for EBS
  volumes, EC2 instances, EFS file systems, DynamoDB tables, RDS databases and clusters and
  S3 buckets also the resource's own shape (``volume/vol-`` and 8 or 17 hex digits...).
"""

from __future__ import annotations

import re

from copyguard.lazyre import lazy_compile

ACCOUNT = lazy_compile(r"[0-9]{12}")
PARTITION = lazy_compile(r"aws(?:-cn|-us-gov|-iso(?:-[a-z])?|-eusc)?")
REGION = lazy_compile(r"[a-z]{2,4}(?:-[a-z]+)+-[0-9]{1,2}")
SERVICE = lazy_compile(r"[a-z][a-z0-9-]{0,62}")
KEY_ID = lazy_compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}"
)
ALIAS_NAME = lazy_compile(r"alias/[A-Za-z0-9/_-]{1,250}")
VAULT_NAME = lazy_compile(r"[A-Za-z0-9_-]{2,50}")
ROLE_RESOURCE = lazy_compile(r"role/(?:[\x21-\x7e]*/)?[A-Za-z0-9+=,.@_-]{1,64}")
ORG_ID = lazy_compile(r"o-[a-z0-9]{10,32}")
_CONTROL = lazy_compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACE = lazy_compile(r"\s")

KEY_ID_EXAMPLE = "1234abcd-12ab-34cd-56ef-1234567890ab"


def is_account(value: str) -> bool:
    """Whether ``value`` is an account ID: ``ACCOUNT.fullmatch(value)``, without compiling the
    pattern (``isdigit`` of ASCII text is exactly ``[0-9]``)."""
    return len(value) == 12 and value.isascii() and value.isdigit()


def text_problem(value: str) -> str | None:
    """Control characters, line breaks or lone surrogates (never part of an identifier)."""
    if value.isascii() and value.isprintable():  # the common case: nothing to look for
        return None
    m = _CONTROL.search(value)
    if m:
        return f"it contains the control character {m.group()!r} at position {m.start()}"
    if value.isascii():  # the common case: no surrogate possible, no scan
        return None
    for i, ch in enumerate(value):
        if "\ud800" <= ch <= "\udfff":
            return f"it contains a lone surrogate {ch!r} at position {i} (not valid Unicode)"
    return None


def account_problem(value: str) -> str | None:
    if is_account(value):
        return None
    return text_problem(value) or f"{value!r} is not 12 ASCII digits"


def region_problem(value: str) -> str | None:
    if REGION.fullmatch(value):
        return None
    return text_problem(value) or f"{value!r} is not a Region name like us-east-1"


def _split(value: str, service: str | None) -> tuple[list[str] | None, str | None]:
    bad = text_problem(value)
    if bad:
        return None, bad
    parts = value.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None, "it is not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE)"
    if not PARTITION.fullmatch(parts[1]):
        return None, (
            f"the partition {parts[1]!r} is not one of aws, aws-cn, aws-us-gov, aws-iso*, aws-eusc"
        )
    if service is not None and parts[2] != service:
        return None, f"the service is {parts[2]!r}, not {service}"
    if not SERVICE.fullmatch(parts[2]):
        return None, f"the service {parts[2]!r} is not a service name (lowercase letters)"
    return parts, None


def _regional(parts: list[str]) -> str | None:
    if not REGION.fullmatch(parts[3]):
        return f"the Region {parts[3]!r} is not a Region name like us-east-1"
    if not is_account(parts[4]):
        return f"the account {parts[4]!r} is not 12 ASCII digits"
    return None


def key_arn_problem(value: str, *, alias: bool = True) -> str | None:
    """A KMS key ARN (``key/KEY_ID``) or, when ``alias``, an alias ARN (``alias/NAME``)."""
    parts, bad = _split(value, "kms")
    if parts is None:
        return bad
    bad = _regional(parts)
    if bad:
        return bad
    resource = parts[5]
    if resource.startswith("key/"):
        if KEY_ID.fullmatch(resource[4:]):
            return None
        return (
            f"the key ID {resource[4:]!r} is not a KMS key ID "
            f"(like {KEY_ID_EXAMPLE}, or mrk- and 32 hex digits)"
        )
    if alias and resource.startswith("alias/"):
        if ALIAS_NAME.fullmatch(resource):
            return None
        return f"the alias {resource!r} is not an alias name (alias/ then A-Z a-z 0-9 / _ -)"
    return f"the resource {resource!r} is not key/KEY_ID" + (" or alias/NAME" if alias else "")


def alias_name_problem(value: str) -> str | None:
    if ALIAS_NAME.fullmatch(value):
        return None
    return text_problem(value) or (
        f"{value!r} is not an alias name (alias/ then 1-250 of A-Z a-z 0-9 / _ -)"
    )


def vault_arn_problem(value: str) -> str | None:
    parts, bad = _split(value, "backup")
    if parts is None:
        return bad
    bad = _regional(parts)
    if bad:
        return bad
    kind, _, name = parts[5].partition(":")
    if kind != "backup-vault":
        return f"the resource {parts[5]!r} is not backup-vault:NAME"
    if not VAULT_NAME.fullmatch(name):
        return f"the vault name {name!r} is not 2-50 of A-Z a-z 0-9 - _"
    return None


def role_arn_problem(value: str) -> str | None:
    parts, bad = _split(value, "iam")
    if parts is None:
        return bad
    if parts[3]:
        return f"IAM ARNs have no Region, got {parts[3]!r}"
    if not is_account(parts[4]):
        return f"the account {parts[4]!r} is not 12 ASCII digits"
    if not ROLE_RESOURCE.fullmatch(parts[5]):
        return (
            f"the resource {parts[5]!r} is not role/NAME (NAME: 1-64 of A-Z a-z 0-9 + = , . @ _ -)"
        )
    return None


def resource_arn_problem(value: str) -> str | None:
    """Any AWS resource ARN: the Region and account empty or well-formed, no white space."""
    parts, bad = _split(value, None)
    if parts is None:
        return bad
    if parts[3] and not REGION.fullmatch(parts[3]):
        return f"the Region {parts[3]!r} is not a Region name like us-east-1"
    if parts[4] and not is_account(parts[4]):
        return f"the account {parts[4]!r} is not 12 ASCII digits"
    if not parts[5] or _SPACE.search(parts[5]):
        return f"the resource part {parts[5]!r} is empty or contains white space"
    if parts[2] == "kms":
        return key_arn_problem(value)
    if parts[2] == "backup" and parts[5].startswith("backup-vault:"):
        return vault_arn_problem(value)
    if parts[2] == "s3" and (parts[3] or parts[4]):
        return "an S3 bucket ARN has no Region or account (arn:aws:s3:::BUCKET)"
    for service, prefix, shape, what in _RESOURCE_SHAPES:
        if parts[2] == service and parts[5].startswith(prefix) and not shape.fullmatch(parts[5]):
            return f"the resource {parts[5]!r} is not {what}"
    return None


_HEX_ID = r"[0-9a-f]{8}(?:[0-9a-f]{9})?"
# resource shapes of the services AWS Backup protects most (service, resource prefix, shape)
_RESOURCE_SHAPES: tuple[tuple[str, str, re.Pattern[str], str], ...] = (
    (
        "ec2",
        "volume/",
        lazy_compile(rf"volume/vol-{_HEX_ID}"),
        "volume/vol- and 8 or 17 hex digits",
    ),
    (
        "ec2",
        "instance/",
        lazy_compile(rf"instance/i-{_HEX_ID}"),
        "instance/i- and 8 or 17 hex digits",
    ),
    (
        "elasticfilesystem",
        "file-system/",
        lazy_compile(rf"file-system/fs-{_HEX_ID}"),
        "file-system/fs- and 8 or 17 hex digits",
    ),
    (
        "dynamodb",
        "table/",
        lazy_compile(r"table/[A-Za-z0-9_.-]{3,255}"),
        "table/NAME (3-255 of A-Z a-z 0-9 _ . -)",
    ),
    (
        "rds",
        "db:",
        lazy_compile(r"db:[A-Za-z][A-Za-z0-9-]{0,62}"),
        "db:NAME (a letter, then up to 62 letters, digits or -)",
    ),
    (
        "rds",
        "cluster:",
        lazy_compile(r"cluster:[A-Za-z][A-Za-z0-9-]{0,62}"),
        "cluster:NAME (a letter, then up to 62 letters, digits or -)",
    ),
    (
        "s3",
        "",
        lazy_compile(r"[A-Za-z0-9._-]{3,255}"),  # legacy us-east-1 names allow A-Z and _
        "a bucket name (3-63 of a-z 0-9 . -; older buckets up to 255, with A-Z and _)",
    ),
)


def org_id_problem(value: str) -> str | None:
    if ORG_ID.fullmatch(value):
        return None
    return text_problem(value) or f"{value!r} is not o- and 10-32 lowercase letters or digits"
