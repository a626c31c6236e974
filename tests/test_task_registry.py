"""The one task registry: every runnable entry names parts that exist, and nothing else decides a task."""
from __future__ import annotations

import json

from lib import tasks
from lib.ui.outputs import RENDERERS


def test_registry_covers_the_hubs_57_tasks_plus_legacy_tags():
    hub = json.loads(tasks.DATA.read_text())
    reg = tasks.registry()
    assert {r["pipeline_tag"] for r in hub} <= set(reg)
    assert len(hub) == 57
    assert reg["text2text-generation"].runnable  # Hub models still carry it


def test_every_runnable_task_names_an_existing_input_runner_and_renderer():
    for spec in tasks.registry().values():
        if not spec.runnable:
            assert spec.reason and spec.runner is None
            continue
        assert spec.input_kind in tasks.INPUT_KINDS, spec.tag
        assert spec.runner in tasks.run_functions(), spec.tag
        assert spec.renderer in RENDERERS, spec.tag


def test_every_runner_is_used_by_some_task():
    used = {s.runner for s in tasks.registry().values() if s.runnable}
    assert set(tasks.run_functions()) == used


def test_grouped_by_modality_lists_every_task_once():
    groups = tasks.grouped_by_modality()
    seen = [s.tag for _, specs in groups for s in specs]
    assert sorted(seen) == sorted(tasks.registry())
    assert groups[0][0] == "Natural Language Processing"


def test_every_runnable_task_starts_with_a_valid_example():
    """One click on Run works: each task's starting example passes the runner's input validation."""
    from lib.runner.inputs import validate
    from lib.tasks import example_inputs

    for spec in tasks.registry().values():
        if spec.runnable:
            example = example_inputs(spec.tag, "en", "[MASK]")
            clean, _ = validate(spec.input_kind, example)
            assert clean, spec.tag


def test_architecture_rule_reads_transformers_own_mappings_without_torch():
    """The auto-mapping tables the tasks name are read from transformers' source (no torch import for a
    page that guesses a folder's task) and equal the imported module's."""
    import subprocess
    import sys

    from lib.tasks.archs import SEQ2SEQ, _literal_mappings

    names = {n for s in tasks.registry().values() for n in s.model_classes} | set(SEQ2SEQ)
    literal = _literal_mappings()
    assert names <= set(literal)
    from transformers.models.auto import modeling_auto

    for name in names:
        assert literal[name] == dict(getattr(modeling_auto, name)), name
    code = ("import sys; from lib.local_models import guess_task; from lib.tasks.archs import auto_classes; "
            "auto_classes(('MODEL_FOR_CAUSAL_LM_MAPPING_NAMES',)); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(tasks.DATA.parents[2]))
    assert out.stdout.strip() == "False"
