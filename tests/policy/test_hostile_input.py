"""Hostile input below the command line (GitHub issue 7): ID shapes, bounded reading,
linear position lookup, JSON that Python would choke on."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path

import pytest

from copyguard.policy import PolicyError, ids, parse_policy
from copyguard.policy.files import (
    KEY_POLICY_LIMIT,
    InputFileError,
    decode_utf8,
    read_bounded,
    read_text,
)
from copyguard.policy.locate import json_positions, offset_to_line_col, positions_of

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY = f"arn:aws:kms:us-east-1:111122223333:key/{KEY_ID}"


# ------------------------------------------------------------------- ID shapes
@pytest.mark.parametrize(
    "value",
    ["111122223333", "000000000000"],
)
def test_accounts_accepted(value: str) -> None:
    assert ids.account_problem(value) is None


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("111122223333\n", "control character"),  # `$` would have matched before it
        ("١١١١٢٢٢٢٣٣٣٣", "ASCII"),  # \d would have matched these
        ("１１１１２２２２３３３３", "ASCII"),  # full-width digits
        ("11112222333", "12 ASCII digits"),
        ("1111222233334", "12 ASCII digits"),
        (" 111122223333", "12 ASCII digits"),
        ("11112222333\udc80", "surrogate"),
    ],
)
def test_accounts_refused(value: str, words: str) -> None:
    problem = ids.account_problem(value)
    assert problem is not None and words in problem


@pytest.mark.parametrize(
    "arn",
    [
        KEY,
        "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        "arn:aws-cn:kms:cn-north-1:111122223333:key/" + KEY_ID,
        "arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/" + KEY_ID,
        "arn:aws-iso-b:kms:us-isob-east-1:111122223333:key/" + KEY_ID,
        "arn:aws-eusc:kms:eusc-de-east-1:111122223333:key/" + KEY_ID,
    ],
)
def test_key_arns_accepted(arn: str) -> None:
    assert ids.key_arn_problem(arn, alias=False) is None


@pytest.mark.parametrize(
    ("arn", "alias", "words"),
    [
        (KEY + "\n", True, "control character"),
        (KEY.replace(KEY_ID, KEY_ID.upper()), True, "key ID"),
        (KEY.replace(KEY_ID, "mrk-123"), True, "key ID"),
        (KEY.replace("key/", "alias/"), False, "not key/KEY_ID"),
        (KEY.replace(KEY_ID, "").replace("key/", "alias/my key"), True, "alias"),
        (KEY.replace(":aws:", ":aws-moon:"), True, "partition"),
        (KEY.replace("us-east-1", "us-east"), True, "Region"),
        (KEY.replace(":kms:", ":s3:"), True, "service"),
        ("arn:aws:kms", True, "not an ARN"),
    ],
)
def test_key_arns_refused(arn: str, alias: bool, words: str) -> None:
    problem = ids.key_arn_problem(arn, alias=alias)
    assert problem is not None and words in problem, problem


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        *[("ab", True), ("a" * 50, True), ("Team_vault-1", True)],
        *[("a", False), ("a" * 51, False), ("a.b", False), ("a b", False), ("ab\n", False)],
        ("åb", False),
    ],
)
def test_vault_names(name: str, ok: bool) -> None:
    arn = f"arn:aws:backup:us-east-1:111122223333:backup-vault:{name}"
    assert (ids.vault_arn_problem(arn) is None) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("alias/my-key", True),
        ("alias/aws/backup", True),
        ("alias/", False),
        ("alias/my key", False),
        ("alias/" + "a" * 251, False),
        ("my-key", False),
    ],
)
def test_alias_names(value: str, ok: bool) -> None:
    assert (ids.alias_name_problem(value) is None) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("o-a1b2c3d4e5", True),
        ("o-exampleorg1", True),
        ("o-1", False),
        ("o-A1B2C3D4E5", False),
        ("o-a1b2c3d4e5\n", False),
    ],
)
def test_organization_ids(value: str, ok: bool) -> None:
    assert (ids.org_id_problem(value) is None) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("arn:aws:iam::111122223333:role/R", True),
        ("arn:aws:iam::111122223333:role/service-role/AWSBackupDefaultServiceRole", True),
        ("arn:aws:iam:us-east-1:111122223333:role/R", False),
        ("arn:aws:iam::111122223333:user/R", False),
        ("arn:aws:iam::111122223333:role/" + "r" * 65, False),
    ],
)
def test_role_arns(value: str, ok: bool) -> None:
    assert (ids.role_arn_problem(value) is None) is ok


# ------------------------------------------------------------------- bounded reading
def test_read_bounded_stops_at_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(b"x" * (KEY_POLICY_LIMIT + 1))
    with pytest.raises(InputFileError, match=r"32 KiB \(32,768 bytes\)"):
        read_bounded(path, KEY_POLICY_LIMIT, "key policy")
    path.write_bytes(b"\xef\xbb\xbf" + b"x" * KEY_POLICY_LIMIT)  # a BOM does not count
    assert read_bounded(path, KEY_POLICY_LIMIT, "key policy") == b"x" * KEY_POLICY_LIMIT


@pytest.mark.skipif(os.name != "posix", reason="POSIX devices and FIFOs")
def test_read_bounded_never_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputFileError, match="larger than"):
        read_bounded("/dev/zero", 1000, "scenario")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    monkeypatch.setenv("COPYGUARD_INPUT_TIMEOUT", "0.2")
    started = time.monotonic()
    with pytest.raises(InputFileError, match=r"no data arrived within 0\.2 s"):
        read_bounded(fifo, 1000, "scenario")
    assert time.monotonic() - started < 5
    with pytest.raises(InputFileError, match="directory"):
        read_bounded(tmp_path, 1000, "scenario")


def test_decoding_is_strict_utf8() -> None:
    assert decode_utf8("é".encode(), "f", "policy") == "é"
    with pytest.raises(InputFileError, match="byte 1"):
        decode_utf8(b"a\xed\xa0\x80", "f", "policy")  # an encoded surrogate


def test_read_text_of_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="file not found"):
        read_text(tmp_path / "nope.json", 10, "policy")


# ------------------------------------------------------------------- positions: linear
def _big_policy(statements: int) -> str:
    st = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": ["kms:Decrypt", "kms:Encrypt"],
        "Resource": "*",
        "Condition": {"StringEquals": {"kms:ViaService": "backup.us-east-1.amazonaws.com"}},
    }
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{**st, "Sid": f"S{i}"} for i in range(statements)]},
        indent=2,
    )


def test_positions_of_a_megabyte_policy_in_well_under_a_second() -> None:
    text = _big_policy(3500)
    assert len(text) > 1_000_000
    started = time.thread_time()  # CPU time: a loaded machine does not move it
    positions = json_positions(text)
    seconds = time.thread_time() - started
    assert seconds < 1.5, f"{seconds:.2f} s"  # quadratic before: about 9 s
    last = "Statement[3499].Condition.StringEquals.kms:ViaService"
    assert positions[last] == offset_to_line_col(text, text.rindex('"kms:ViaService"'))


@pytest.mark.parametrize("ordered", [True, False], ids=["in-order", "shuffled"])
def test_positions_of_agree_with_counting(ordered: bool) -> None:
    # every offset of a text with empty lines, a last line without a newline and offsets on
    # the newlines themselves; in the order a scan finds them, and shuffled (sorted first,
    # the answer in the caller's order)
    text = "a\n\nbc\n" + "x" * 5 + "\n\r\n" + "yz"
    offsets = {f"p{i}": i for i in range(len(text))}
    if not ordered:
        keys = list(offsets)
        random.Random(5).shuffle(keys)
        offsets = {k: offsets[k] for k in keys}
    got = positions_of(text, offsets)
    assert list(got) == list(offsets)
    assert got == {k: offset_to_line_col(text, o) for k, o in offsets.items()}
    assert positions_of(text, {"a": 3, "b": 3}) == {"a": (3, 1), "b": (3, 1)}  # one offset twice


# ------------------------------------------------------------------- JSON Python chokes on
@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"Version": "2012-10-17", "Statement": [], "X": ' + "9" * 5000 + "}", "digits"),
        ('{"Version": "2012-10-17", "Statement": [], "X": NaN}', "NaN"),
        ('{"Version": "2012-10-17", "Statement": [], "X": Infinity}', "Infinity"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_policy_text_python_would_choke_on(text: str, words: str) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(text, name="p.json", kind="resource")
    assert words in str(info.value.issues[0])


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("arn:aws:ec2:us-east-1:111122223333:volume/vol-0123456789abcdef0", True),
        ("arn:aws:ec2:us-east-1:111122223333:volume/vol-01234567", True),
        ("arn:aws:ec2:us-east-1:111122223333:volume/vol-1", False),
        ("arn:aws:rds:us-east-1:111122223333:db:orders", True),
        ("arn:aws:rds:us-east-1:111122223333:db:1orders", False),
        ("arn:aws:dynamodb:us-east-1:111122223333:table/orders", True),
        ("arn:aws:s3:::orders-bucket", True),
        ("arn:aws:s3:us-east-1:111122223333:orders-bucket", False),
        ("arn:aws:elasticfilesystem:us-east-1:111122223333:file-system/fs-0123abcd", True),
        ("arn:aws:fsx:us-east-1:111122223333:volume/fs-0123456789abcdef0/fsvol-0123", True),
        ("arn:aws:ec2:us-east-1:111122223333:volume/vol-01234567\n", False),
        ("arn:aws:ec2:us-east-1:11112222333:volume/vol-01234567", False),
    ],
)
def test_resource_arns(value: str, ok: bool) -> None:
    assert (ids.resource_arn_problem(value) is None) is ok
