"""Deterministic generator of realistic KMS key-policy evaluation requests.

Writes JSON Lines in copyguard's ``simulate --batch`` format (spec section 2). Every request
carries its own key policy, identity policies, SCPs and RCPs, built from the shapes that real
cross-account AWS Backup set-ups use (and the mistakes people make in them):

- the default ``kms:*`` root statement of the key's own account (ARN or bare account ID);
- cross-account grants to the destination account root, or to the destination's AWS Backup
  service-linked role, with ``kms:GrantIsForAWSResource`` (string or JSON boolean);
- ``Principal: "*"`` narrowed by ``kms:CallerAccount``, ``aws:PrincipalOrgID``,
  ``aws:PrincipalOrgPaths`` (ForAnyValue / ForAllValues), ``aws:PrincipalArn`` (ArnLike),
  ``kms:ViaService``, policy variables, Null checks, IfExists, dates and epoch numbers;
- Deny guards (org perimeter, ArnNotLike, ScheduleKeyDeletion), NotAction, NotPrincipal;
- identity policies with and without the needed allow, SCPs and org-perimeter RCPs.

Requests come from principals in the key account, the destination account, a third account,
and AWS service principals; contexts omit keys, or carry matching or non-matching values.

A second mode, ``aws-shapes`` (class ``ShapesGen``), builds the policy shapes AWS documents and
ships: AWS managed key policies, AWS Backup's vault-key grant statement, CloudWatch Logs and
CloudTrail service statements, org perimeter guards with ``aws:PrincipalArn`` exemptions,
attribute-based conditions; callers are role sessions (including service-linked role
sessions), root users and bare account IDs; names appear in mixed case.

Usage::

    python tests/differential/generate.py --seed 1 --count 5000 > corpus.jsonl
    python tests/differential/generate.py --mode aws-shapes --seed 1 --count 5000 > shapes.jsonl

The same seed always gives the same bytes (the output depends on nothing but the arguments).
"""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import json
import random
import re
import sys
from collections.abc import Iterator
from typing import Any

Json = dict[str, Any]

VERSION = "2012-10-17"
KEY_ACCOUNTS = ("111122223333", "123456789012")
DEST = "444455556666"
THIRD = "777788889999"
REGIONS = ("us-east-1", "eu-west-1")
ORG = "o-a1b2c3d4e5"
OTHER_ORG = "o-zz9y8x7w6v"
ROOT_ID = "r-ab12"
OU_PROD = "ou-ab12-prod1111"
OU_BACKUP = "ou-ab12-bkup2222"
SLR_PATH = "role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"
# Keys AWS always sets for an IAM principal, and which copyguard may derive when missing.
DERIVABLE_KEYS = ("aws:PrincipalArn", "aws:PrincipalAccount", "kms:CallerAccount")

# Customer-callable KMS actions whose resource is a KMS key, with the KMS condition keys that
# the Service Authorization Reference lists for each (c: kms:CallerAccount and kms:ViaService,
# g: kms:GrantIsForAWSResource, e: kms:EncryptionContextKeys). Wildcard-only actions such as
# CreateKey and ListKeys are left out (key policies do not govern them), and so is the
# permission-only kms:SynchronizeMultiRegionKey, which no caller sends.
ACTIONS: dict[str, str] = {
    "CancelKeyDeletion": "c",
    "CreateAlias": "c",
    "CreateGrant": "cge",
    "Decrypt": "ce",
    "DeleteAlias": "c",
    "DeleteImportedKeyMaterial": "c",
    "DeriveSharedSecret": "c",
    "DescribeKey": "c",
    "DisableKey": "c",
    "DisableKeyRotation": "c",
    "EnableKey": "c",
    "EnableKeyRotation": "c",
    "Encrypt": "ce",
    "GenerateDataKey": "ce",
    "GenerateDataKeyPair": "ce",
    "GenerateDataKeyPairWithoutPlaintext": "ce",
    "GenerateDataKeyWithoutPlaintext": "ce",
    "GenerateMac": "c",
    "GetKeyPolicy": "c",
    "GetKeyRotationStatus": "c",
    "GetParametersForImport": "c",
    "GetPublicKey": "c",
    "ImportKeyMaterial": "c",
    "ListGrants": "cg",
    "ListKeyPolicies": "c",
    "ListKeyRotations": "c",
    "ListResourceTags": "c",
    "PutKeyPolicy": "c",
    "ReEncryptFrom": "ce",
    "ReEncryptTo": "ce",
    "ReplicateKey": "c",
    "RetireGrant": "ce",
    "RevokeGrant": "cg",
    "RotateKeyOnDemand": "c",
    "ScheduleKeyDeletion": "c",
    "Sign": "c",
    "TagResource": "c",
    "UntagResource": "c",
    "UpdateAlias": "c",
    "UpdateKeyDescription": "c",
    "UpdatePrimaryRegion": "c",
    "Verify": "c",
    "VerifyMac": "c",
}
ALL_ACTIONS = tuple(ACTIONS)
# What AWS Backup's cross-account copy needs on the source key.
COPY_ACTIONS = (
    "Decrypt",
    "Encrypt",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "DescribeKey",
    "CreateGrant",
)
GRANT_ACTIONS = ("CreateGrant", "ListGrants", "RevokeGrant")
ADMIN_ACTIONS = (
    "kms:Create*",
    "kms:Describe*",
    "kms:Enable*",
    "kms:List*",
    "kms:Put*",
    "kms:Update*",
    "kms:Revoke*",
    "kms:Disable*",
    "kms:Get*",
    "kms:Delete*",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:ScheduleKeyDeletion",
    "kms:CancelKeyDeletion",
    "kms:RotateKeyOnDemand",
)
# Action patterns as people write them: wildcards, "?" and mixed case.
USE_PATTERNS = (
    ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
    ["kms:Decrypt", "kms:DescribeKey"],
    ["KMS:generatedatakey*", "kms:decrypt"],
    ["kms:ReEncrypt*"],
    ["kms:Describe?ey", "kms:Decrypt"],
    "kms:*",
    ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:GenerateDataKeyWithoutPlaintext"],
    "kms:Decrypt",
    ["kms:Get*", "kms:List*", "kms:Describe*"],
)
GRANT_PATTERNS = (
    ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
    "kms:CreateGrant",
    ["kms:CreateGrant"],
    ["kms:*Grant*"],
)
VIA_SERVICES = (
    "ec2.us-east-1.amazonaws.com",
    "backup.us-east-1.amazonaws.com",
    "backup.eu-west-1.amazonaws.com",
    "rds.us-east-1.amazonaws.com",
    "s3.us-east-1.amazonaws.com",
)
SERVICE_PRINCIPALS = (
    "backup.amazonaws.com",
    "ec2.amazonaws.com",
    "logs.us-east-1.amazonaws.com",
    "cloudtrail.amazonaws.com",
)
EPOCH_2024 = 1704067200
EPOCH_2032 = 1956528000
TIME_THRESHOLDS = (
    "2025-01-01T00:00:00Z",
    "2027-06-30T12:00:00Z",
    "2029-12-31T23:59:59Z",
)
EPOCH_THRESHOLDS = (1735689600, 1814400000, 1893456000)


def arn_iam(account: str, path: str) -> str:
    return f"arn:aws:iam::{account}:{path}"


def root(account: str) -> str:
    return arn_iam(account, "root")


def slr(account: str) -> str:
    return arn_iam(account, SLR_PATH)


def org_path(ou: str) -> str:
    return f"{ORG}/{ROOT_ID}/{ou}/"


ACCOUNT_OU = {DEST: OU_BACKUP, KEY_ACCOUNTS[0]: OU_PROD, KEY_ACCOUNTS[1]: OU_PROD}


class Gen:
    """One seeded stream of requests."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.r = random.Random(seed)

    # ---------------------------------------------------------------- small helpers

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def pick(self, seq: Any) -> Any:
        return seq[self.r.randrange(len(seq))]

    def weighted(self, pairs: list[tuple[Any, float]]) -> Any:
        return self.r.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]

    def key_case(self, key: str) -> str:
        """Condition keys are case-insensitive; policies sometimes write them oddly."""
        return key.lower() if self.chance(0.05) else key

    def one_or_list(self, values: list[Any]) -> Any:
        if len(values) == 1 and self.chance(0.6):
            return values[0]
        return values

    # ---------------------------------------------------------------- world

    def key_arn(self, account: str, region: str) -> str:
        n = self.r.getrandbits(64)
        h = f"{n:016x}"
        return (
            f"arn:aws:kms:{region}:{account}:key/{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[:3]}-{h[4:16]}"
        )

    def principal_in(self, where: str, key_account: str) -> str:
        if where == "service":
            return self.pick(SERVICE_PRINCIPALS)
        account = {"key": key_account, "dest": DEST, "third": THIRD}[where]
        options: list[tuple[str, float]] = [
            (arn_iam(account, "role/BackupCopyRole"), 3),
            (arn_iam(account, "role/KeyAdmin"), 1.5 if where == "key" else 0.5),
            (arn_iam(account, "role/KeyUser"), 2 if where == "key" else 0.5),
            (arn_iam(account, "role/app/team-a/AppRole"), 1),
            (arn_iam(account, "user/alice"), 1),
            (f"arn:aws:sts::{account}:assumed-role/BackupCopyRole/copy-job-42", 1.5),
            (f"arn:aws:sts::{account}:assumed-role/KeyUser/s-1", 1 if where == "key" else 0.3),
            (slr(account), 4 if where == "dest" else 1),
        ]
        return self.weighted(options)

    # ---------------------------------------------------------------- conditions

    def org_condition(self) -> Json:
        kind = self.weighted(
            [
                ("orgid", 3),
                ("orgpaths_any", 2),
                ("orgpaths_all", 1),
                ("orgpaths_plain", 0.3),
                ("orgid_ignorecase", 0.3),
            ]
        )
        if kind == "orgid":
            value = ORG if self.chance(0.9) else OTHER_ORG
            return {"StringEquals": {self.key_case("aws:PrincipalOrgID"): value}}
        if kind == "orgid_ignorecase":
            return {"StringEqualsIgnoreCase": {"aws:PrincipalOrgID": ORG.upper()}}
        paths = self.pick(
            [
                [f"{ORG}/{ROOT_ID}/{OU_BACKUP}/*"],
                [f"{ORG}/*"],
                [f"{ORG}/{ROOT_ID}/{OU_PROD}/*", f"{ORG}/{ROOT_ID}/{OU_BACKUP}/*"],
                [f"{OTHER_ORG}/*"],
                [f"{ORG}/{ROOT_ID}/ou-ab12-????????/*"],
            ]
        )
        if kind == "orgpaths_any":
            return {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": paths}}
        if kind == "orgpaths_all":
            return {"ForAllValues:StringLike": {"aws:PrincipalOrgPaths": paths}}
        # A single-valued operator on a multivalued key: a classic mistake.
        return {"StringLike": {"aws:PrincipalOrgPaths": paths}}

    def caller_account_condition(self, accounts: list[str]) -> Json:
        op = self.weighted([("StringEquals", 5), ("StringLike", 1), ("StringEqualsIfExists", 1)])
        return {op: {self.key_case("kms:CallerAccount"): self.one_or_list(accounts)}}

    def principal_arn_condition(self) -> Json:
        pattern = self.pick(
            [
                f"arn:aws:iam::{DEST}:role/Backup*",
                "arn:aws:iam::*:role/aws-service-role/backup.amazonaws.com/*",
                f"arn:aws:iam::{DEST}:role/*",
                "arn:aws:iam::*:role/BackupCopyRole",
                f"arn:aws:iam::{DEST}:*",
                "arn:aws:iam::*:role/app/*",
            ]
        )
        op = self.weighted([("ArnLike", 5), ("ArnEquals", 1), ("StringLike", 1)])
        return {op: {"aws:PrincipalArn": pattern}}

    def via_service_condition(self) -> Json:
        op = self.weighted(
            [
                ("StringEquals", 3),
                ("StringLike", 3),
                ("StringEqualsIfExists", 1),
                ("ForAnyValue:StringEquals", 0.3),
            ]
        )
        if op.startswith("StringLike"):
            values = self.pick(
                [["backup.*.amazonaws.com"], ["ec2.*.amazonaws.com", "backup.*.amazonaws.com"]]
            )
        else:
            values = self.pick(
                [
                    ["ec2.us-east-1.amazonaws.com"],
                    ["ec2.us-east-1.amazonaws.com", "backup.us-east-1.amazonaws.com"],
                    ["backup.eu-west-1.amazonaws.com"],
                ]
            )
        return {op: {self.key_case("kms:ViaService"): self.one_or_list(values)}}

    def grant_condition(self) -> Json:
        value = self.weighted([("true", 4), (True, 3), ("false", 1), ("True", 0.3)])
        op = "BoolIfExists" if self.chance(0.1) else "Bool"
        return {op: {self.key_case("kms:GrantIsForAWSResource"): value}}

    def time_condition(self) -> Json:
        kind = self.weighted([("date", 3), ("epoch", 2), ("date_epoch_value", 0.5)])
        if kind == "date":
            op = self.pick(["DateLessThan", "DateGreaterThan", "DateLessThanEquals"])
            return {op: {"aws:CurrentTime": self.pick(TIME_THRESHOLDS)}}
        if kind == "epoch":
            op = self.pick(["NumericLessThan", "NumericGreaterThanEquals", "NumericLessThanEquals"])
            value = self.pick(EPOCH_THRESHOLDS)
            return {op: {"aws:EpochTime": value if self.chance(0.5) else str(value)}}
        op = self.pick(["DateLessThan", "DateGreaterThan"])
        return {op: {"aws:CurrentTime": str(self.pick(EPOCH_THRESHOLDS))}}

    def encryption_context_condition(self) -> Json:
        op = self.weighted([("ForAllValues:StringEquals", 3), ("ForAnyValue:StringEquals", 2)])
        return {op: {"kms:EncryptionContextKeys": ["aws:backup:source-resource", "aws:ebs:id"]}}

    def null_condition(self) -> Json:
        key = self.pick(["kms:ViaService", "aws:PrincipalOrgID", "kms:GrantIsForAWSResource"])
        return {"Null": {key: self.pick(["true", "false"])}}

    def variable_condition(self) -> Json:
        return self.pick(
            [
                {"StringEquals": {"kms:CallerAccount": "${aws:PrincipalAccount}"}},
                {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:role/*"}},
                {"StringEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}},
            ]
        )

    def merge(self, *blocks: Json) -> Json:
        out: Json = {}
        for block in blocks:
            for op, keys in block.items():
                out.setdefault(op, {}).update(keys)
        return out

    # ---------------------------------------------------------------- key policy

    def principal_element(self, arns: list[str]) -> Any:
        forms = []
        for arn in arns:
            if arn.endswith(":root") and self.chance(0.35):
                forms.append(arn.split(":")[4])  # bare account ID
            else:
                forms.append(arn)
        return {"AWS": self.one_or_list(forms)}

    def resource_element(self, key_arn: str) -> Any:
        return self.weighted([("*", 12), (key_arn, 1), ([key_arn], 0.5)])

    def root_statement(self, account: str, key_arn: str) -> Json:
        return {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": self.principal_element([root(account)]),
            "Action": "kms:*",
            "Resource": self.resource_element(key_arn),
        }

    def admin_statement(self, account: str, key_arn: str) -> Json:
        return {
            "Sid": "Allow access for Key Administrators",
            "Effect": "Allow",
            "Principal": {"AWS": arn_iam(account, "role/KeyAdmin")},
            "Action": list(ADMIN_ACTIONS),
            "Resource": self.resource_element(key_arn),
        }

    def user_statement(self, account: str, key_arn: str) -> Json:
        who = self.pick(
            [
                [arn_iam(account, "role/KeyUser")],
                [arn_iam(account, "role/KeyUser"), arn_iam(account, "role/app/team-a/AppRole")],
                [arn_iam(account, "user/alice")],
            ]
        )
        stmt: Json = {
            "Sid": "Allow use of the key",
            "Effect": "Allow",
            "Principal": {"AWS": self.one_or_list(who)},
            "Action": self.pick(USE_PATTERNS),
            "Resource": self.resource_element(key_arn),
        }
        if self.chance(0.25):
            stmt["Condition"] = self.via_service_condition()
        return stmt

    def cross_account_targets(self) -> list[str]:
        return self.weighted(
            [
                ([root(DEST)], 5),
                ([slr(DEST)], 3),
                ([root(DEST), slr(DEST)], 1),
                ([arn_iam(DEST, "role/BackupCopyRole")], 1.5),
                ([root(DEST), root(THIRD)], 0.5),
            ]
        )

    def cross_use_statement(self, key_arn: str) -> Json:
        stmt: Json = {
            "Sid": "AllowDestinationUse",
            "Effect": "Allow",
            "Principal": self.principal_element(self.cross_account_targets()),
            "Action": self.pick(USE_PATTERNS),
            "Resource": self.resource_element(key_arn),
        }
        conds: list[Json] = []
        if self.chance(0.2):
            conds.append(self.via_service_condition())
        if self.chance(0.1):
            conds.append(self.org_condition())
        if self.chance(0.08):
            conds.append(self.time_condition())
        if conds:
            stmt["Condition"] = self.merge(*conds)
        return stmt

    def cross_grant_statement(self, key_arn: str) -> Json:
        stmt: Json = {
            "Sid": "AllowDestinationGrants",
            "Effect": "Allow",
            "Principal": self.principal_element(self.cross_account_targets()),
            "Action": self.pick(GRANT_PATTERNS),
            "Resource": self.resource_element(key_arn),
        }
        if self.chance(0.85):
            stmt["Condition"] = self.grant_condition()
        if self.chance(0.1):
            stmt["Condition"] = self.merge(stmt.get("Condition", {}), self.null_condition())
        return stmt

    def star_statement(self, key_account: str, key_arn: str) -> Json:
        """Principal "*" narrowed by conditions (the org-wide sharing pattern)."""
        narrowing = self.weighted(
            [
                ("caller", 4),
                ("org", 4),
                ("arn", 2),
                ("variable", 1),
                ("caller+via", 2),
                ("org+grant", 1.5),
                ("orgpaths_all_only", 0.7),
                ("enc_ctx", 0.7),
                ("time", 0.7),
            ]
        )
        accounts = self.pick([[DEST], [key_account, DEST], [THIRD], [DEST, THIRD]])
        cond: Json
        if narrowing == "caller":
            cond = self.caller_account_condition(accounts)
        elif narrowing == "org":
            cond = self.org_condition()
        elif narrowing == "arn":
            cond = self.principal_arn_condition()
        elif narrowing == "variable":
            cond = self.merge(self.variable_condition(), self.org_condition())
        elif narrowing == "caller+via":
            cond = self.merge(self.caller_account_condition(accounts), self.via_service_condition())
        elif narrowing == "org+grant":
            cond = self.merge(self.org_condition(), self.grant_condition())
        elif narrowing == "orgpaths_all_only":
            cond = {"ForAllValues:StringLike": {"aws:PrincipalOrgPaths": [f"{ORG}/*"]}}
        elif narrowing == "enc_ctx":
            cond = self.merge(self.encryption_context_condition(), self.org_condition())
        else:
            cond = self.merge(self.time_condition(), self.caller_account_condition(accounts))
        if self.chance(0.08):
            cond = self.merge(cond, self.null_condition())
        action = self.pick(USE_PATTERNS + GRANT_PATTERNS)
        principal = self.weighted([("*", 5), ({"AWS": "*"}, 2)])
        return {
            "Sid": f"AllowOrg{narrowing}",
            "Effect": "Allow",
            "Principal": principal,
            "Action": action,
            "Resource": self.resource_element(key_arn),
            "Condition": cond,
        }

    def service_statement(self, key_arn: str) -> Json:
        stmt: Json = {
            "Sid": "AllowServicePrincipal",
            "Effect": "Allow",
            "Principal": {"Service": self.one_or_list(list(self.r.sample(SERVICE_PRINCIPALS, 2)))},
            "Action": self.pick(
                [["kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*", "kms:Describe*"], "kms:*"]
            ),
            "Resource": self.resource_element(key_arn),
        }
        if self.chance(0.4):
            stmt["Condition"] = {
                "StringEquals": {"aws:SourceAccount": self.pick([KEY_ACCOUNTS[0], DEST])}
            }
        return stmt

    def not_action_statement(self, key_arn: str) -> Json:
        return {
            "Sid": "AllowDestinationAllButAdmin",
            "Effect": "Allow",
            "Principal": self.principal_element(self.cross_account_targets()),
            "NotAction": self.pick(
                [
                    ["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:Disable*"],
                    "kms:Delete*",
                    ["kms:*Key*"],
                ]
            ),
            "Resource": self.resource_element(key_arn),
        }

    def deny_statements(self, key_account: str) -> list[Json]:
        kind = self.weighted(
            [
                ("deny_outside_org", 3),
                ("deny_outside_org_ifexists", 2),
                ("deny_arn_not_like", 2),
                ("deny_schedule_deletion", 2),
                ("deny_not_principal", 1.5),
                ("deny_not_action", 1),
                ("deny_insecure", 1),
                ("deny_caller_not", 1.5),
                ("deny_expired", 0.7),
                ("deny_no_via", 0.7),
            ]
        )
        principal = self.weighted([("*", 4), ({"AWS": "*"}, 1)])
        if kind == "deny_outside_org":
            return [
                {
                    "Sid": "DenyOutsideOrg",
                    "Effect": "Deny",
                    "Principal": principal,
                    "Action": "kms:*",
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORG}},
                }
            ]
        if kind == "deny_outside_org_ifexists":
            return [
                {
                    "Sid": "DenyOutsideOrgIfExists",
                    "Effect": "Deny",
                    "Principal": principal,
                    "Action": "kms:*",
                    "Resource": "*",
                    "Condition": {
                        "StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG},
                        "Bool": {"aws:PrincipalIsAWSService": "false"},
                    },
                }
            ]
        if kind == "deny_arn_not_like":
            return [
                {
                    "Sid": "DenyDecryptExceptBackup",
                    "Effect": "Deny",
                    "Principal": principal,
                    "Action": self.pick([["kms:Decrypt", "kms:ReEncrypt*"], "kms:Decrypt"]),
                    "Resource": "*",
                    "Condition": {
                        self.pick(["ArnNotLike", "ArnNotLikeIfExists"]): {
                            "aws:PrincipalArn": [
                                "arn:aws:iam::*:role/BackupCopyRole",
                                "arn:aws:iam::*:role/aws-service-role/backup.amazonaws.com/*",
                                arn_iam(key_account, "role/KeyUser"),
                            ]
                        }
                    },
                }
            ]
        if kind == "deny_schedule_deletion":
            stmt: Json = {
                "Sid": "DenyKeyDeletion",
                "Effect": "Deny",
                "Principal": principal,
                "Action": self.pick(
                    [["kms:ScheduleKeyDeletion", "kms:DisableKey"], "kms:ScheduleKeyDeletion"]
                ),
                "Resource": "*",
            }
            if self.chance(0.6):
                stmt["Condition"] = {
                    "ArnNotEquals": {"aws:PrincipalArn": arn_iam(key_account, "role/KeyAdmin")}
                }
            return [stmt]
        if kind == "deny_not_principal":
            exempt = self.pick(
                [
                    [root(key_account), arn_iam(key_account, "role/KeyAdmin")],
                    [arn_iam(key_account, "role/KeyAdmin")],
                    [root(key_account)],
                    [
                        root(key_account),
                        arn_iam(key_account, "role/KeyUser"),
                        f"arn:aws:sts::{key_account}:assumed-role/KeyUser/s-1",
                    ],
                ]
            )
            return [
                {
                    "Sid": "DenyAllButAdmins",
                    "Effect": "Deny",
                    "NotPrincipal": {"AWS": self.one_or_list(exempt)},
                    "Action": self.pick(
                        [["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"], "kms:Disable*"]
                    ),
                    "Resource": "*",
                }
            ]
        if kind == "deny_not_action":
            return [
                {
                    "Sid": "DenyThirdAllButDescribe",
                    "Effect": "Deny",
                    "Principal": {"AWS": self.pick([root(THIRD), THIRD])},
                    "NotAction": ["kms:DescribeKey", "kms:GetPublicKey"],
                    "Resource": "*",
                }
            ]
        if kind == "deny_insecure":
            return [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": principal,
                    "Action": "kms:*",
                    "Resource": "*",
                    "Condition": {
                        self.pick(["Bool", "BoolIfExists"]): {"aws:SecureTransport": "false"}
                    },
                }
            ]
        if kind == "deny_caller_not":
            return [
                {
                    "Sid": "DenyOtherCallers",
                    "Effect": "Deny",
                    "Principal": principal,
                    "Action": "kms:*",
                    "Resource": "*",
                    "Condition": {
                        self.pick(["StringNotEquals", "StringNotEqualsIfExists"]): {
                            "kms:CallerAccount": [key_account, DEST]
                        }
                    },
                }
            ]
        if kind == "deny_expired":
            return [
                {
                    "Sid": "DenyAfterExpiry",
                    "Effect": "Deny",
                    "Principal": principal,
                    "Action": "kms:*",
                    "Resource": "*",
                    "Condition": self.pick(
                        [
                            {"DateGreaterThan": {"aws:CurrentTime": self.pick(TIME_THRESHOLDS)}},
                            {"NumericGreaterThan": {"aws:EpochTime": self.pick(EPOCH_THRESHOLDS)}},
                        ]
                    ),
                }
            ]
        return [
            {
                "Sid": "DenyDecryptWithoutService",
                "Effect": "Deny",
                "Principal": principal,
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {
                    "Null": {"kms:ViaService": "true"},
                    "StringNotEquals": {"kms:CallerAccount": key_account},
                },
            }
        ]

    def key_policy(self, key_account: str, key_arn: str) -> Json:
        statements: list[Json] = []
        if self.chance(0.85):
            statements.append(self.root_statement(key_account, key_arn))
        if self.chance(0.4):
            statements.append(self.admin_statement(key_account, key_arn))
        if self.chance(0.45):
            statements.append(self.user_statement(key_account, key_arn))
        builders = [
            (self.cross_use_statement, 5),
            (self.cross_grant_statement, 4),
            (lambda arn: self.star_statement(key_account, arn), 5),
            (self.service_statement, 1),
            (self.not_action_statement, 1),
        ]
        if self.chance(0.6):
            statements.append(self.cross_use_statement(key_arn))
        if self.chance(0.45):
            statements.append(self.cross_grant_statement(key_arn))
        for _ in range(self.weighted([(0, 3), (1, 4), (2, 2)])):
            builder = self.weighted(builders)
            statements.append(builder(key_arn))
        if self.chance(0.35):
            statements.extend(self.deny_statements(key_account))
        if self.chance(0.1):
            statements.extend(self.deny_statements(key_account))
        self.r.shuffle(statements)
        seen: set[str] = set()
        for n, st in enumerate(statements):
            if st.get("Sid") in seen:  # Sids are unique within a policy
                st["Sid"] = f"{st['Sid']}{n}"
            seen.add(st.get("Sid", ""))
        doc: Json = {"Version": VERSION, "Id": "key-policy", "Statement": statements}
        if self.chance(0.03):
            doc["Statement"] = statements[0] if statements else []
        return doc

    # ---------------------------------------------------------------- principal side

    def identity_policies(self, principal: str, action: str, key_arn: str) -> list[Json]:
        if (
            "assumed-role/" not in principal
            and ":role/" not in principal
            and ":user/" not in principal
        ):
            return []
        if SLR_PATH in principal:
            return [self.backup_slr_policy()] if self.chance(0.85) else []
        shape = self.weighted(
            [("none", 2), ("exact", 6), ("admin", 2), ("wrong", 1.5), ("other_action", 1)]
        )
        if shape == "none":
            return []
        key_account = key_arn.split(":")[4]
        region = key_arn.split(":")[3]
        resource = self.weighted(
            [
                ("*", 4),
                (key_arn, 3),
                (f"arn:aws:kms:*:{key_account}:key/*", 2),
                (f"arn:aws:kms:{region}:{key_account}:*", 1),
                ([f"arn:aws:kms:us-east-1:{key_account}:key/*"], 1),
            ]
        )
        statements: list[Json]
        if shape == "exact":
            actions = [f"kms:{action}"] if self.chance(0.75) else self.pick(USE_PATTERNS)
            statements = [{"Effect": "Allow", "Action": actions, "Resource": resource}]
        elif shape == "admin":
            statements = [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]
        elif shape == "wrong":
            other = self.key_arn(self.pick([key_account, THIRD]), region)
            statements = [{"Effect": "Allow", "Action": "kms:*", "Resource": other}]
        else:
            statements = [
                {"Effect": "Allow", "Action": ["kms:ListAliases", "kms:ListKeys"], "Resource": "*"}
            ]
        if self.chance(0.15):
            statements.append(
                {
                    "Effect": "Allow",
                    "NotAction": ["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"],
                    "Resource": resource,
                }
            )
        if self.chance(0.12):
            statements.append(
                {
                    "Effect": "Deny",
                    "Action": ["kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"],
                    "Resource": "*",
                }
            )
        if self.chance(0.1):
            statements[0]["Condition"] = self.pick(
                [self.via_service_condition(), self.grant_condition(), self.time_condition()]
            )
        policies = [{"Version": VERSION, "Statement": statements}]
        if self.chance(0.2):
            policies.append(
                {
                    "Version": VERSION,
                    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
                }
            )
        return policies

    def backup_slr_policy(self) -> Json:
        """A policy shaped like the AWS Backup service-linked role's KMS permissions."""
        return {
            "Version": VERSION,
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "kms:CreateGrant",
                    "Resource": "*",
                    "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "kms:GenerateDataKeyWithoutPlaintext",
                        "kms:Decrypt",
                        "kms:Encrypt",
                        "kms:ReEncryptFrom",
                        "kms:ReEncryptTo",
                        "kms:DescribeKey",
                    ],
                    "Resource": "*",
                    "Condition": {"StringLike": {"kms:ViaService": "*.amazonaws.com"}},
                },
            ],
        }

    def scps(self, principal: str) -> list[Json]:
        is_slr = SLR_PATH in principal
        if not self.chance(0.18 if not is_slr else 0.1):
            return []
        out = []
        for _ in range(self.weighted([(1, 3), (2, 1)])):
            kind = self.weighted([("denylist", 6), ("allowlist", 1), ("region", 1)])
            if kind == "allowlist":
                out.append(
                    {
                        "Version": VERSION,
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": [
                                    "kms:Decrypt",
                                    "kms:Describe*",
                                    "kms:CreateGrant",
                                    "s3:*",
                                ],
                                "Resource": "*",
                            }
                        ],
                    }
                )
                continue
            deny: Json
            if kind == "region":
                deny = {
                    "Effect": "Deny",
                    "Action": "kms:*",
                    "Resource": "*",
                    "Condition": {"DateGreaterThan": {"aws:CurrentTime": TIME_THRESHOLDS[2]}},
                }
            else:
                deny = {
                    "Effect": "Deny",
                    "Action": self.pick(
                        [
                            ["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"],
                            "kms:Decrypt",
                            ["kms:CreateGrant"],
                        ]
                    ),
                    "Resource": "*",
                }
                if self.chance(0.5):
                    deny["Condition"] = {
                        "ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/KeyAdmin"}
                    }
            out.append(
                {
                    "Version": VERSION,
                    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, deny],
                }
            )
        return out

    def rcps(self) -> list[Json]:
        if not self.chance(0.12):
            return []
        statements: list[Json] = [
            {
                "Sid": "EnforceOrgIdentities",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "kms:*",
                "Resource": "*",
                "Condition": {
                    "StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG},
                    "Bool": {"aws:PrincipalIsAWSService": "false"},
                },
            }
        ]
        if self.chance(0.4):
            statements.append(
                {
                    "Sid": "EnforceConfusedDeputyProtection",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "kms:*",
                    "Resource": "*",
                    "Condition": {
                        "StringNotEqualsIfExists": {"aws:SourceOrgID": ORG},
                        "Null": {"aws:SourceAccount": "false"},
                        "Bool": {"aws:PrincipalIsAWSService": "true"},
                    },
                }
            )
        if self.chance(0.2):
            statements.insert(
                0,
                {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
            )
        return [{"Version": VERSION, "Statement": statements}]

    # ---------------------------------------------------------------- request context

    def context(self, principal: str, action: str, now: int) -> Json:
        flags = ACTIONS[action]
        ctx: Json = {}
        when = dt.datetime.fromtimestamp(now, tz=dt.UTC)
        ctx["aws:CurrentTime"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        ctx["aws:EpochTime"] = str(now)
        secure = self.weighted([("true", 10), ("false", 1), (None, 1)])
        if secure is not None:
            ctx["aws:SecureTransport"] = secure
        if principal in SERVICE_PRINCIPALS:
            ctx["aws:PrincipalIsAWSService"] = "true"
            ctx["aws:PrincipalServiceName"] = principal
            if self.chance(0.5):
                ctx["aws:SourceAccount"] = self.pick([KEY_ACCOUNTS[0], DEST, THIRD])
                if self.chance(0.7):
                    ctx["aws:SourceOrgID"] = ORG if ctx["aws:SourceAccount"] != THIRD else OTHER_ORG
            if "c" in flags and self.chance(0.3):
                ctx["kms:ViaService"] = self.pick(VIA_SERVICES)
            return ctx
        account = principal.split(":")[4]
        if ":assumed-role/" in principal:
            role_name = principal.split("/")[1]
            principal_arn = arn_iam(account, f"role/{role_name}")
            if role_name == "AppRole":
                principal_arn = arn_iam(account, "role/app/team-a/AppRole")
        else:
            principal_arn = principal
        ctx["aws:PrincipalArn"] = principal_arn
        ctx["aws:PrincipalAccount"] = account
        ctx["aws:PrincipalIsAWSService"] = "false"
        if "c" in flags:
            ctx["kms:CallerAccount"] = account
        # Rarely drop a key that AWS always sets, to see how each side treats its absence.
        if self.chance(0.02):
            del ctx[self.pick([k for k in DERIVABLE_KEYS if k in ctx])]
        if self.chance(0.9):
            ctx["aws:ResourceOrgID"] = ORG
        # Organization membership.
        in_org = account in ACCOUNT_OU
        org_mode = self.weighted(
            [("member", 8 if in_org else 1), ("absent", 1 if in_org else 4), ("other", 1)]
        )
        if org_mode == "member":
            ctx["aws:PrincipalOrgID"] = ORG
            ou = ACCOUNT_OU.get(account, OU_PROD)
            ctx["aws:PrincipalOrgPaths"] = self.weighted(
                [([org_path(ou)], 8), ([], 0.7), ([org_path(ou), org_path(OU_PROD)], 0.5)]
            )
        elif org_mode == "other":
            ctx["aws:PrincipalOrgID"] = OTHER_ORG
            ctx["aws:PrincipalOrgPaths"] = [f"{OTHER_ORG}/r-zz99/ou-zz99-00000000/"]
        if "c" in flags:
            if SLR_PATH in principal and self.chance(0.8):
                ctx["kms:ViaService"] = f"backup.{self.pick(REGIONS)}.amazonaws.com"
            elif self.chance(0.5):
                ctx["kms:ViaService"] = self.pick(VIA_SERVICES)
        if "g" in flags:
            grant = self.weighted([("true", 6), ("false", 2), (None, 2)])
            if grant is not None:
                ctx["kms:GrantIsForAWSResource"] = grant
        if "e" in flags:
            keys = self.weighted(
                [
                    (None, 5),
                    ([], 1.5),
                    (["aws:backup:source-resource"], 2),
                    (["aws:backup:source-resource", "department"], 1.5),
                ]
            )
            if keys is not None:
                ctx["kms:EncryptionContextKeys"] = keys
        return ctx

    # ---------------------------------------------------------------- request

    def pick_action(self, policy: Json, external: bool) -> str:
        """Often an action an Allow statement names (for external principals, one of the
        statements meant for other accounts); else a likely action, or any KMS key action."""
        statements = policy["Statement"]
        if isinstance(statements, dict):
            statements = [statements]
        allows = [st for st in statements if st.get("Effect") == "Allow" and "Action" in st]
        if external:
            shared = [
                st for st in allows if st.get("Sid", "").startswith(("AllowDest", "AllowOrg"))
            ]
            allows = shared or allows
        if allows and self.chance(0.65):
            patterns = self.pick(allows)["Action"]
            if isinstance(patterns, str):
                patterns = [patterns]
            matching = [
                name
                for name in ALL_ACTIONS
                if any(fnmatch.fnmatchcase(f"kms:{name}".lower(), p.lower()) for p in patterns)
            ]
            if matching:
                return self.pick(matching)
        if self.chance(0.55):
            return self.pick(COPY_ACTIONS)
        if self.chance(0.15):
            return self.pick(GRANT_ACTIONS)
        if self.chance(0.2):
            return self.pick(["ScheduleKeyDeletion", "PutKeyPolicy", "DisableKey", "RetireGrant"])
        return self.pick(ALL_ACTIONS)

    def request(self, index: int) -> Json:
        key_account = self.pick(KEY_ACCOUNTS)
        region = self.pick(REGIONS)
        key_arn = self.key_arn(key_account, region)
        policy = self.key_policy(key_account, key_arn)
        where = self.weighted([("key", 3), ("dest", 6), ("third", 1.5), ("service", 1)])
        principal = self.principal_in(where, key_account)
        action = self.pick_action(policy, external=where != "key")
        now = self.r.randrange(EPOCH_2024, EPOCH_2032)
        req: Json = {
            "id": f"s{self.seed}-{index:05d}",
            "principal": principal,
            "action": f"kms:{action}",
            "resource": key_arn,
            "context": self.context(principal, action, now),
            "key_policy": policy,
            "identity_policies": self.identity_policies(principal, action, key_arn),
            "scps": self.scps(principal) if principal not in SERVICE_PRINCIPALS else [],
            "rcps": self.rcps(),
        }
        return req


# --------------------------------------------------------------------------- second mode

BACKUP_VAULT = "CrossAccountVault"
VAULT_CONTEXT_KEY = "kms:EncryptionContext:aws:backup:backup-vault"
SERVICE_ROLE_PATH = "role/service-role/AWSBackupDefaultServiceRole"
# AWS managed key policies name one service each (aws/backup, aws/ebs, aws/rds, ...).
MANAGED_KEY_SERVICES = ("backup", "ec2", "rds", "s3")
# The encryption context that AWS Backup, CloudWatch Logs and CloudTrail send.
CRYPTO_ACTIONS = tuple(a for a, flags in ACTIONS.items() if "e" in flags)
ALIAS_ACTIONS = frozenset(CRYPTO_ACTIONS) | {"DescribeKey", "GetPublicKey", "Sign", "Verify"}
GRANT_OPERATIONS = (
    ["Decrypt", "GenerateDataKeyWithoutPlaintext", "Encrypt", "ReEncryptFrom", "ReEncryptTo"],
    ["Decrypt", "Encrypt"],
    ["Decrypt", "RetireGrant", "DescribeKey"],
    ["CreateGrant", "Decrypt"],
)


def mixed_case(rng: random.Random, text: str) -> str:
    """The same name as people sometimes write it (KMS:Decrypt, kms:DECRYPT, Kms:decrypt)."""
    service, _, name = text.partition(":")
    return rng.choice(
        [
            f"{service.upper()}:{name}",
            f"{service}:{name.upper()}",
            f"{service.capitalize()}:{name.lower()}",
            f"{service}:{name[:1].lower()}{name[1:]}",
        ]
    )


class ShapesGen(Gen):
    """Mode ``aws-shapes``: the policy shapes AWS itself documents and ships, and the way real
    callers look (sessions, root users, service-linked role sessions, bare account IDs):

    - AWS managed key policies (``Principal: {"AWS": "*"}`` narrowed by ``kms:CallerAccount``
      and ``kms:ViaService``, plus the account's read-only metadata statement);
    - AWS Backup's vault-key ``CreateGrant`` example (``ForAnyValue:StringEquals
      kms:EncryptionContextKeys``, ``Bool kms:GrantIsForAWSResource``, ``StringLike
      kms:ViaService backup.*.amazonaws.com``) and ``kms:EncryptionContext:aws:backup:...``;
    - CloudWatch Logs / CloudTrail service-principal statements on their encryption context;
    - org perimeter Deny guards (``StringNotEqualsIfExists aws:PrincipalOrgID`` with
      ``BoolIfExists aws:PrincipalIsAWSService``), ``aws:PrincipalArn`` ``ArnNotLike``
      exemptions for ``AWSServiceRoleForBackup``, ``Null`` checks, network perimeters;
    - role ARNs with paths in policies while the caller is a session (which loses the path);
    - action names, condition keys and context keys in mixed case.
    """

    # ---------------------------------------------------------------- statements

    def managed_key_statements(self, account: str, region: str) -> list[Json]:
        service = self.pick(MANAGED_KEY_SERVICES)
        actions = {
            "backup": ["kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKey*"],
            "ec2": [
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:CreateGrant",
                "kms:DescribeKey",
            ],
            "rds": [
                "kms:Encrypt",
                "kms:Decrypt",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:CreateGrant",
                "kms:ListGrants",
                "kms:DescribeKey",
            ],
            "s3": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
        }[service]
        principal = {"AWS": "*"} if self.chance(0.8) else "*"
        return [
            {
                "Sid": f"Allow access through {service} for all principals in the account",
                "Effect": "Allow",
                "Principal": principal,
                "Action": actions,
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        self.key_case("kms:CallerAccount"): account,
                        self.key_case("kms:ViaService"): f"{service}.{region}.amazonaws.com",
                    }
                },
            },
            {
                "Sid": "Allow direct access to key metadata to the account",
                "Effect": "Allow",
                "Principal": {"AWS": root(account)},
                "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
                "Resource": "*",
            },
        ]

    def vault_grant_statement(self, dest: str) -> Json:
        """AWS Backup's documented statement letting another account's Backup create grants."""
        who = self.weighted(
            [
                ([root(dest)], 3),
                ([arn_iam(dest, SERVICE_ROLE_PATH)], 2),
                ([slr(dest)], 2),
                ([dest], 1),
                ([arn_iam(dest, SERVICE_ROLE_PATH), slr(dest)], 1),
            ]
        )
        cond: Json = {
            "ForAnyValue:StringEquals": {
                self.key_case("kms:EncryptionContextKeys"): self.pick(
                    ["aws:backup:backup-vault", ["aws:backup:backup-vault"]]
                )
            },
            "Bool": {self.key_case("kms:GrantIsForAWSResource"): self.pick([True, "true"])},
            "StringLike": {self.key_case("kms:ViaService"): "backup.*.amazonaws.com"},
        }
        if self.chance(0.2):
            cond["ForAllValues:StringEquals"] = {
                "kms:GrantOperations": [
                    "Decrypt",
                    "GenerateDataKeyWithoutPlaintext",
                    "Encrypt",
                    *self.pick([[], ["ReEncryptFrom", "ReEncryptTo"], ["RetireGrant"]]),
                ]
            }
        return {
            "Sid": "Allow AWS Backup to create grants",
            "Effect": "Allow",
            "Principal": {"AWS": self.one_or_list(who)},
            "Action": self.pick(["kms:CreateGrant", ["kms:CreateGrant"], "KMS:CreateGrant"]),
            "Resource": "*",
            "Condition": cond,
        }

    def vault_use_statement(self, dest: str) -> Json:
        who = self.weighted(
            [
                ([root(dest)], 3),
                ([arn_iam(dest, SERVICE_ROLE_PATH)], 2),
                ([slr(dest)], 2),
                ([f"arn:aws:sts::{dest}:assumed-role/AWSBackupDefaultServiceRole/s-1"], 0.5),
            ]
        )
        actions = self.pick(
            [
                ["kms:Decrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:DescribeKey"],
                ["KMS:Decrypt", "kms:DescribeKEY"],
                [mixed_case(self.r, "kms:Decrypt"), "kms:Encrypt", "kms:GenerateDataKey"],
                "kms:*",
            ]
        )
        stmt: Json = {
            "Sid": "Allow use of the key by the destination account",
            "Effect": "Allow",
            "Principal": {"AWS": self.one_or_list(who)},
            "Action": actions,
            "Resource": "*",
        }
        kind = self.weighted([("none", 3), ("vault", 2), ("vault_like", 1), ("null", 1)])
        if kind == "vault":
            stmt["Condition"] = {"StringEquals": {self.key_case(VAULT_CONTEXT_KEY): BACKUP_VAULT}}
        elif kind == "vault_like":
            stmt["Condition"] = {"StringLike": {VAULT_CONTEXT_KEY: "Cross*"}}
        elif kind == "null":
            stmt["Condition"] = {"Null": {VAULT_CONTEXT_KEY: "false"}}
        return stmt

    def service_principal_statement(self, account: str, region: str) -> Json:
        kind = self.pick(["logs", "cloudtrail", "backup"])
        if kind == "logs":
            return {
                "Sid": "Allow CloudWatch Logs",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:aws:logs:{region}:{account}:log-group:*"
                        )
                    }
                },
            }
        if kind == "cloudtrail":
            return {
                "Sid": "Allow CloudTrail to encrypt logs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "aws:SourceArn": f"arn:aws:cloudtrail:{region}:{account}:trail/main"
                    },
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": (
                            f"arn:aws:cloudtrail:*:{account}:trail/*"
                        )
                    },
                },
            }
        return {
            "Sid": "Allow AWS Backup service",
            "Effect": "Allow",
            "Principal": {"Service": "backup.amazonaws.com"},
            "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
        }

    def perimeter_denies(self, key_account: str) -> list[Json]:
        kind = self.weighted(
            [
                ("org_guard", 4),
                ("org_guard_exempt_slr", 3),
                ("deny_no_vault_context", 1.5),
                ("deny_not_via_backup", 1.5),
                ("deny_network", 1.5),
                ("deny_external_grants", 1),
                ("deny_np_chain", 1),
                ("deny_deletion_window", 0.7),
            ]
        )
        principal = self.weighted([("*", 3), ({"AWS": "*"}, 1)])
        if kind in ("org_guard", "org_guard_exempt_slr"):
            cond: Json = {
                self.pick(["StringNotEqualsIfExists", "StringNotEquals"]): {
                    self.key_case("aws:PrincipalOrgID"): ORG
                },
                self.pick(["BoolIfExists", "Bool"]): {
                    self.key_case("aws:PrincipalIsAWSService"): self.pick(["false", False])
                },
            }
            if kind == "org_guard_exempt_slr":
                cond[self.pick(["ArnNotLike", "ArnNotLikeIfExists", "StringNotLike"])] = {
                    "aws:PrincipalArn": self.one_or_list(
                        self.pick(
                            [
                                [
                                    "arn:aws:iam::*:role/aws-service-role/backup.amazonaws.com/"
                                    "AWSServiceRoleForBackup"
                                ],
                                ["arn:aws:iam::*:role/aws-service-role/*"],
                                [slr(DEST), arn_iam(DEST, SERVICE_ROLE_PATH)],
                            ]
                        )
                    )
                }
            return [
                {
                    "Sid": "DenyOutsideOrganization",
                    "Effect": "Deny",
                    "Principal": principal,
                    "Action": self.pick(["kms:*", "*", ["kms:Decrypt", "kms:CreateGrant"]]),
                    "Resource": "*",
                    "Condition": cond,
                }
            ]
        if kind == "deny_no_vault_context":
            return [
                {
                    "Sid": "DenyDecryptWithoutVaultContext",
                    "Effect": "Deny",
                    "Principal": principal,
                    "Action": ["kms:Decrypt", "kms:CreateGrant"],
                    "Resource": "*",
                    "Condition": {
                        "Null": {self.key_case(VAULT_CONTEXT_KEY): "true"},
                        "StringNotEquals": {"kms:CallerAccount": key_account},
                    },
                }
            ]
        if kind == "deny_not_via_backup":
            return [
                {
                    "Sid": "DenyUnlessViaBackup",
                    "Effect": "Deny",
                    "Principal": principal,
                    "Action": ["kms:Decrypt", "kms:CreateGrant", "kms:GenerateDataKey*"],
                    "Resource": "*",
                    "Condition": {
                        self.pick(["StringNotLike", "StringNotLikeIfExists"]): {
                            self.key_case("kms:ViaService"): "backup.*.amazonaws.com"
                        },
                        "StringNotEquals": {"aws:PrincipalAccount": key_account},
                    },
                }
            ]
        if kind == "deny_network":
            return [
                {
                    "Sid": "DenyOutsideNetwork",
                    "Effect": "Deny",
                    "Principal": principal,
                    "Action": "kms:*",
                    "Resource": "*",
                    "Condition": {
                        self.pick(["NotIpAddress", "NotIpAddressIfExists"]): {
                            "aws:SourceIp": self.one_or_list(["203.0.113.0/24", "198.51.100.7/32"])
                        },
                        "Bool": {"aws:ViaAWSService": "false"},
                    },
                }
            ]
        if kind == "deny_external_grants":
            return [
                {
                    "Sid": "DenyGrantsNotForAWSResources",
                    "Effect": "Deny",
                    "Principal": principal,
                    "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                    "Resource": "*",
                    "Condition": {
                        "Bool": {self.key_case("kms:GrantIsForAWSResource"): "false"},
                    },
                }
            ]
        if kind == "deny_np_chain":
            exempt = self.pick(
                [
                    [
                        root(key_account),
                        arn_iam(key_account, "role/KeyAdmin"),
                        f"arn:aws:sts::{key_account}:assumed-role/KeyAdmin/admin-session",
                    ],
                    [root(key_account), arn_iam(key_account, "user/alice")],
                    [key_account],
                    [root(DEST), slr(DEST)],
                ]
            )
            return [
                {
                    "Sid": "DenyKeyManagementExceptAdmins",
                    "Effect": "Deny",
                    "NotPrincipal": {"AWS": self.one_or_list(exempt)},
                    "Action": self.pick(
                        [["kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"], "kms:Disable*"]
                    ),
                    "Resource": "*",
                }
            ]
        return [
            {
                "Sid": "DenyShortDeletionWindow",
                "Effect": "Deny",
                "Principal": principal,
                "Action": "kms:ScheduleKeyDeletion",
                "Resource": "*",
                "Condition": {
                    "NumericLessThan": {"kms:ScheduleKeyDeletionPendingWindowInDays": "30"}
                },
            }
        ]

    def key_admin_statement(self, account: str) -> Json:
        who = self.pick(
            [
                [arn_iam(account, "role/KeyAdmin")],
                [arn_iam(account, "role/admins/KeyAdmin")],
                [f"arn:aws:sts::{account}:assumed-role/KeyAdmin/admin-session"],
                [arn_iam(account, "user/alice"), arn_iam(account, "role/KeyAdmin")],
            ]
        )
        return {
            "Sid": "Allow access for Key Administrators",
            "Effect": "Allow",
            "Principal": {"AWS": self.one_or_list(who)},
            "Action": self.pick([list(ADMIN_ACTIONS), "kms:*", ["KMS:*"]]),
            "Resource": "*",
        }

    def abac_and_misc_statement(self, key_account: str, region: str) -> Json:
        """Attribute-based and other common statement shapes."""
        kind = self.weighted(
            [
                ("abac_tags", 2),
                ("alias", 1.5),
                ("mfa_deny", 1),
                ("principal_type", 1),
                ("ignorecase", 1),
                ("multi_principal", 1),
                ("userid", 0.7),
                ("ipv6_deny", 0.5),
            ]
        )
        if kind == "abac_tags":
            return {
                "Sid": "AllowMatchingProjectTag",
                "Effect": "Allow",
                "Principal": {"AWS": self.pick([f"{key_account}", "*", root(DEST)])},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        self.key_case("aws:ResourceTag/Project"): self.pick(
                            ["${aws:PrincipalTag/Project}", "${aws:PrincipalTag/project}", "blue"]
                        )
                    }
                },
            }
        if kind == "alias":
            op, values = self.pick(
                [
                    ("StringEquals", {"kms:RequestAlias": "alias/backup-key"}),
                    ("StringLike", {"kms:RequestAlias": "alias/backup-*"}),
                    ("ForAnyValue:StringEquals", {"kms:ResourceAliases": "alias/backup-key"}),
                    ("ForAnyValue:StringLike", {"kms:ResourceAliases": ["alias/prod-*"]}),
                    ("ForAllValues:StringLike", {"kms:ResourceAliases": "alias/*"}),
                ]
            )
            return {
                "Sid": "AllowByAlias",
                "Effect": "Allow",
                "Principal": {"AWS": self.pick([root(key_account), "*", root(DEST)])},
                "Action": ["kms:Decrypt", "kms:Encrypt", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {op: values},
            }
        if kind == "mfa_deny":
            return {
                "Sid": "DenyKeyAdminWithoutMFA",
                "Effect": "Deny",
                "Principal": "*",
                "Action": ["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:Disable*"],
                "Resource": "*",
                "Condition": {
                    self.pick(["BoolIfExists", "Bool"]): {"aws:MultiFactorAuthPresent": "false"}
                },
            }
        if kind == "principal_type":
            return {
                "Sid": "DenyRootUser",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "kms:*",
                "Resource": "*",
                "Condition": {
                    self.pick(["StringEquals", "StringEqualsIgnoreCase"]): {
                        "aws:PrincipalType": self.pick(["Account", "account"])
                    }
                },
            }
        if kind == "ignorecase":
            return {
                "Sid": "AllowBackupRolesAnyCase",
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["kms:Decrypt", "kms:CreateGrant", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {
                    self.pick(["StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"]): {
                        "aws:PrincipalArn": self.one_or_list(
                            [arn_iam(DEST, SERVICE_ROLE_PATH).upper(), slr(DEST).lower()]
                        )
                    },
                    "StringEquals": {"kms:CallerAccount": [DEST, key_account]},
                },
            }
        if kind == "multi_principal":
            return {
                "Sid": "AllowAccountAndService",
                "Effect": "Allow",
                "Principal": {
                    "AWS": [root(DEST), arn_iam(key_account, "user/alice")],
                    "Service": ["backup.amazonaws.com", f"logs.{region}.amazonaws.com"],
                },
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
            }
        if kind == "userid":
            return {
                "Sid": "AllowRoleSessionsByUserId",
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringLike": {"aws:userid": "AROAEXAMPLEBACKUP:*"}},
            }
        return {
            "Sid": "DenyOutsideNetworks",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {
                "NotIpAddressIfExists": {"aws:SourceIp": ["2001:db8::/32", "203.0.113.0/24"]}
            },
        }

    def shapes_key_policy(self, key_account: str, region: str, key_arn: str) -> Json:
        statements: list[Json] = []
        managed = self.chance(0.2)
        if managed:
            statements += self.managed_key_statements(key_account, region)
        else:
            if self.chance(0.85):
                statements.append(self.root_statement(key_account, key_arn))
            if self.chance(0.5):
                statements.append(self.key_admin_statement(key_account))
            if self.chance(0.55):
                statements.append(self.vault_grant_statement(DEST))
            if self.chance(0.55):
                statements.append(self.vault_use_statement(DEST))
            if self.chance(0.25):
                statements.append(self.service_principal_statement(key_account, region))
            if self.chance(0.3):
                statements.append(self.star_statement(key_account, key_arn))
            if self.chance(0.15):
                statements.append(self.cross_grant_statement(key_arn))
            if self.chance(0.3):
                statements.append(self.abac_and_misc_statement(key_account, region))
        if self.chance(0.45):
            statements += self.perimeter_denies(key_account)
        if self.chance(0.12):
            statements += self.perimeter_denies(key_account)
        self.r.shuffle(statements)
        seen: set[str] = set()
        for n, st in enumerate(statements):
            if st.get("Sid") in seen:
                st["Sid"] = f"{st['Sid']}{n}"
            seen.add(st.get("Sid", ""))
        return {"Version": VERSION, "Id": "key-policy", "Statement": statements}

    # ---------------------------------------------------------------- callers

    def shapes_principal(self, key_account: str, region: str) -> str:
        where = self.weighted([("key", 3), ("dest", 5), ("third", 1), ("service", 1.2)])
        if where == "service":
            return self.pick(
                [
                    "backup.amazonaws.com",
                    f"logs.{region}.amazonaws.com",
                    "cloudtrail.amazonaws.com",
                    "ec2.amazonaws.com",
                ]
            )
        account = {"key": key_account, "dest": DEST, "third": THIRD}[where]
        return self.weighted(
            [
                (f"arn:aws:sts::{account}:assumed-role/AWSServiceRoleForBackup/AWSBackup-x1", 3),
                (slr(account), 1.5),
                (f"arn:aws:sts::{account}:assumed-role/AWSBackupDefaultServiceRole/s-1", 2),
                (arn_iam(account, SERVICE_ROLE_PATH), 1),
                (f"arn:aws:sts::{account}:assumed-role/KeyAdmin/admin-session", 1.5),
                (arn_iam(account, "role/admins/KeyAdmin"), 0.5),
                (arn_iam(account, "user/alice"), 1),
                (root(account), 1.5),
                (account, 0.4),  # a bare account ID: the account's root user
            ]
        )

    def shapes_identity_policies(self, principal: str, action: str, key_arn: str) -> list[Json]:
        if principal.endswith(":root") or ACCOUNT_ID_RE.fullmatch(principal):
            return []
        if not principal.startswith("arn:"):
            return []
        if "AWSServiceRoleForBackup" in principal:
            return [self.backup_slr_policy()] if self.chance(0.9) else []
        shape = self.weighted([("exact", 5), ("admin", 2), ("none", 1.5), ("backup_like", 2)])
        if shape == "none":
            return []
        if shape == "admin":
            return [
                {
                    "Version": VERSION,
                    "Statement": [
                        {"Effect": "Allow", "Action": self.pick(["kms:*", "*"]), "Resource": "*"}
                    ],
                }
            ]
        if shape == "backup_like":
            return [
                {
                    "Version": VERSION,
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "kms:CreateGrant",
                                "kms:GenerateDataKey",
                                "kms:Decrypt",
                                "kms:RetireGrant",
                                "kms:DescribeKey",
                            ],
                            "Resource": "*",
                            "Condition": {
                                "StringLike": {"kms:ViaService": ["backup.*.amazonaws.com"]}
                            },
                        }
                    ],
                }
            ]
        name = f"kms:{action}" if self.chance(0.7) else mixed_case(self.r, f"kms:{action}")
        return [
            {
                "Version": VERSION,
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": name,
                        "Resource": self.pick([key_arn, "*", "arn:aws:kms:*:*:key/*"]),
                    }
                ],
            }
        ]

    def shapes_context(self, principal: str, action: str, region: str, now: int) -> Json:
        flags = ACTIONS[action]
        when = dt.datetime.fromtimestamp(now, tz=dt.UTC)
        ctx: Json = {
            "aws:CurrentTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": str(now),
            "aws:SecureTransport": "true",
        }
        is_service = not principal.startswith("arn:") and not ACCOUNT_ID_RE.fullmatch(principal)
        via_backup = "AWSServiceRoleForBackup" in principal or "AWSBackupDefault" in principal
        if is_service:
            ctx["aws:PrincipalIsAWSService"] = "true"
            ctx["aws:PrincipalServiceName"] = principal
            if self.chance(0.7):
                account = self.pick([KEY_ACCOUNTS[0], DEST, THIRD])
                ctx["aws:SourceAccount"] = account
                ctx["aws:SourceArn"] = self.pick(
                    [
                        f"arn:aws:cloudtrail:{region}:{account}:trail/main",
                        f"arn:aws:backup:{region}:{account}:backup-vault:{BACKUP_VAULT}",
                    ]
                )
                if account != THIRD and self.chance(0.7):
                    ctx["aws:SourceOrgID"] = ORG
        else:
            account = _account_of(principal)
            m = re.fullmatch(r"arn:aws:sts::(\d{12}):assumed-role/([^/]+)/.+", principal)
            if m:
                role = m.group(2)
                path = {
                    "AWSServiceRoleForBackup": "role/aws-service-role/backup.amazonaws.com/",
                    "AWSBackupDefaultServiceRole": "role/service-role/",
                }.get(role, "role/")
                principal_arn = arn_iam(account, f"{path}{role}")
            elif ACCOUNT_ID_RE.fullmatch(principal):
                principal_arn = root(account)
            else:
                principal_arn = principal
            ctx[self.key_case("aws:PrincipalArn")] = principal_arn
            ctx["aws:PrincipalAccount"] = account
            ctx["aws:PrincipalIsAWSService"] = "false"
            ctx[self.key_case("kms:CallerAccount")] = account
            if account in ACCOUNT_OU and self.chance(0.9):
                ctx["aws:PrincipalOrgID"] = ORG
                ctx["aws:PrincipalOrgPaths"] = [org_path(ACCOUNT_OU[account])]
            elif self.chance(0.3):
                ctx["aws:PrincipalOrgID"] = OTHER_ORG
            if via_backup or self.chance(0.3):
                ctx["aws:ViaAWSService"] = "true"
                ctx["aws:CalledVia"] = ["backup.amazonaws.com"] if via_backup else []
                if "c" in flags:
                    service = "backup" if via_backup or self.chance(0.5) else "ec2"
                    ctx["kms:ViaService"] = f"{service}.{self.pick(REGIONS)}.amazonaws.com"
            else:
                ctx["aws:ViaAWSService"] = "false"
                ctx["aws:SourceIp"] = self.pick(["203.0.113.25", "192.0.2.10", "198.51.100.7"])
        if "e" in flags:
            ectx = self.weighted(
                [
                    ({}, 2),
                    ({"aws:backup:backup-vault": BACKUP_VAULT}, 3),
                    ({"aws:backup:backup-vault": "OtherVault"}, 1),
                    (
                        {
                            "aws:logs:arn": (
                                f"arn:aws:logs:{region}:{KEY_ACCOUNTS[0]}:log-group:app"
                            )
                        },
                        1,
                    ),
                    (
                        {
                            "aws:cloudtrail:arn": (
                                f"arn:aws:cloudtrail:{region}:{KEY_ACCOUNTS[0]}:trail/main"
                            )
                        },
                        0.7,
                    ),
                ]
            )
            for k, v in ectx.items():
                ctx[f"kms:EncryptionContext:{k}"] = v
            if ectx or self.chance(0.5):
                ctx["kms:EncryptionContextKeys"] = list(ectx)
        if "g" in flags:
            grant = self.weighted([("true", 6), ("false", 2), (None, 1)])
            if grant is not None:
                ctx["kms:GrantIsForAWSResource"] = grant
        if action == "CreateGrant":
            ctx["kms:GrantOperations"] = self.pick(GRANT_OPERATIONS)
            if not is_service:
                ctx["kms:GranteePrincipal"] = self.pick(
                    [slr(DEST), arn_iam(DEST, SERVICE_ROLE_PATH), "backup.amazonaws.com"]
                )
        if action == "ScheduleKeyDeletion":
            ctx["kms:ScheduleKeyDeletionPendingWindowInDays"] = self.pick(["7", "30"])
        ctx["aws:RequestedRegion"] = region
        if self.chance(0.7):
            ctx["aws:ResourceTag/Project"] = self.pick(["blue", "green"])
        if self.chance(0.8):
            ctx["kms:ResourceAliases"] = self.pick(
                [[], ["alias/backup-key"], ["alias/prod-db", "alias/backup-key"], ["alias/other"]]
            )
        if action in ALIAS_ACTIONS and self.chance(0.3):
            ctx["kms:RequestAlias"] = self.pick(["alias/backup-key", "alias/prod-db"])
        if not is_service:
            ctx["aws:PrincipalType"] = (
                "Account"
                if principal.endswith(":root") or ACCOUNT_ID_RE.fullmatch(principal)
                else "AssumedRole"
                if ":assumed-role/" in principal
                else "User"
                if ":user/" in principal
                else "Role"
            )
            if ":assumed-role/" in principal:
                ctx["aws:userid"] = self.pick(["AROAEXAMPLEBACKUP", "AROAOTHERROLE"]) + ":s-1"
                if self.chance(0.5):
                    ctx["aws:MultiFactorAuthPresent"] = self.pick(["true", "false"])
            if self.chance(0.6):
                ctx["aws:PrincipalTag/Project"] = self.pick(["blue", "green"])
        if self.chance(0.04):  # context keys are case-insensitive too
            key = self.pick(sorted(ctx))
            ctx[mixed_case(self.r, key)] = ctx.pop(key)
        return ctx

    def request(self, index: int) -> Json:
        key_account = self.pick(KEY_ACCOUNTS)
        region = self.pick(REGIONS)
        key_arn = self.key_arn(key_account, region)
        policy = self.shapes_key_policy(key_account, region, key_arn)
        principal = self.shapes_principal(key_account, region)
        external = _account_of(principal) not in (key_account, None)
        action = self.pick_action(policy, external=external)
        now = self.r.randrange(EPOCH_2024, EPOCH_2032)
        is_service = not principal.startswith("arn:") and not ACCOUNT_ID_RE.fullmatch(principal)
        wire_action = f"kms:{action}" if self.chance(0.9) else mixed_case(self.r, f"kms:{action}")
        return {
            "id": f"a{self.seed}-{index:05d}",
            "principal": principal,
            "action": wire_action,
            "resource": key_arn,
            "context": self.shapes_context(principal, action, region, now),
            "key_policy": policy,
            "identity_policies": self.shapes_identity_policies(principal, action, key_arn),
            # SCPs do not apply to service principals; a corpus may still list some.
            "scps": self.scps(principal) if not is_service or self.chance(0.1) else [],
            "rcps": self.rcps(),
        }


ACCOUNT_ID_RE = re.compile(r"\d{12}")


def _account_of(principal: str) -> str | None:
    if ACCOUNT_ID_RE.fullmatch(principal):
        return principal
    parts = principal.split(":")
    return parts[4] if len(parts) >= 6 and ACCOUNT_ID_RE.fullmatch(parts[4]) else None


MODES = {"classic": Gen, "aws-shapes": ShapesGen}


def generate(seed: int, count: int, mode: str = "classic") -> Iterator[Json]:
    gen = MODES[mode](seed)
    for index in range(count):
        yield gen.request(index)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--mode", choices=sorted(MODES), default="classic")
    args = parser.parse_args(argv)
    out = sys.stdout
    for req in generate(args.seed, args.count, args.mode):
        out.write(json.dumps(req, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
