"""``copyguard.knowledge`` imports each submodule on first use of one of its names (start-up
time: the quick check needs the KMS tables, not the copy recipe or the Region limits), and
its functions named like their submodule (``copy_requirements``, ``resource_types``) stay
functions however the submodules get imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import copyguard.knowledge as knowledge

SRC = Path(__file__).resolve().parents[2] / "src"


def _run(code: str) -> object:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_public_name_is_its_submodules_object() -> None:
    assert set(knowledge._HOMES) == set(knowledge.__all__)
    for name in knowledge.__all__:
        home = import_module(f"copyguard.knowledge.{knowledge._HOMES[name]}")
        assert getattr(knowledge, name) is getattr(home, name), name
    assert callable(knowledge.copy_requirements) and callable(knowledge.resource_types)


def test_an_unknown_name_is_an_attribute_error() -> None:
    assert not hasattr(knowledge, "no_such_fact")
    try:
        from copyguard.knowledge import no_such_fact  # type: ignore[attr-defined]  # noqa: F401
    except ImportError as exc:
        assert "no_such_fact" in str(exc)
    else:  # pragma: no cover - the import must fail
        raise AssertionError("imported a name the package does not have")


def test_importing_the_package_imports_no_submodule() -> None:
    result = _run(
        "import json, sys\n"
        "import copyguard.knowledge as k\n"
        "at_import = sorted(m for m in sys.modules if m.startswith('copyguard.knowledge.'))\n"
        "k.kms_action('kms:Decrypt')\n"
        "after = sorted(m for m in sys.modules if m.startswith('copyguard.knowledge.'))\n"
        "print(json.dumps([at_import, after]))\n"
    )
    assert result == [[], ["copyguard.knowledge._loader", "copyguard.knowledge.kms"]]


def test_functions_named_like_their_submodule_stay_functions() -> None:
    # the submodules imported first, by their full names (as other modules of the package
    # import them), then the package's names read
    result = _run(
        "import json, types\n"
        "import copyguard.knowledge.copy_requirements\n"
        "import copyguard.knowledge.resource_types\n"
        "import copyguard.knowledge.errors\n"
        "from copyguard.knowledge import copy_requirements, resource_types\n"
        "import copyguard.knowledge as k\n"
        "print(json.dumps([\n"
        "    isinstance(copy_requirements, types.ModuleType),\n"
        "    isinstance(resource_types, types.ModuleType),\n"
        "    copy_requirements is k.copy_requirements,\n"
        "    type(copy_requirements()).__name__,\n"
        "    'EBS' in resource_types(),\n"
        "]))\n"
    )
    assert result == [False, False, True, "CopyRequirements", True]


def test_the_action_names_are_those_of_the_action_table() -> None:
    names = knowledge.kms_action_names()
    assert names == tuple(sorted(a.name for a in knowledge.kms_actions().values()))
    assert "kms:CreateGrant" in names and "kms:Decrypt" in names
    assert len(set(names)) == len(names) > 40


def test_the_action_names_do_not_build_the_action_table() -> None:
    result = _run(
        "import json\n"
        "from copyguard.knowledge import kms\n"
        "names = kms.kms_action_names()\n"
        "print(json.dumps([len(names), kms._actions.cache_info().currsize]))\n"
    )
    assert isinstance(result, list) and result[0] > 40 and result[1] == 0
