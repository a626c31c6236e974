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


# --------------------------------------------------------------------------- the UI's languages (issue 13)
def test_every_task_name_and_modality_label_of_the_hubs_list_is_in_the_catalogue():
    """lib/tasks/names.py marks every name of pipeline_tags.json: a refreshed JSON cannot leave one out
    (``python -m lib.tasks.names`` prints the lines to paste)."""
    from lib.tasks import names

    task_names, labels = names.hub_names()
    assert set(task_names) <= set(names.TASK_NAMES), sorted(set(task_names) - set(names.TASK_NAMES))
    assert set(labels) <= set(names.MODALITY_LABELS), sorted(set(labels) - set(names.MODALITY_LABELS))
    assert {s.name for s in tasks.registry().values()} <= set(names.TASK_NAMES)


def test_task_names_and_modality_labels_follow_the_language_and_the_registry_stays_english():
    from lib import i18n

    assert tasks.display_name("text-classification") == "Text Classification"
    with i18n.scope("es"):
        assert tasks.display_name("text-classification") == "Clasificación de texto"
        assert tasks.display_name("text2text-generation") == "Generación de texto a texto"
        assert tasks.display_name(None) == "Tarea desconocida"
        groups = tasks.grouped_by_modality()
        assert groups[0][0] == "Procesamiento del lenguaje natural"
        names = [tasks.display_name(s.tag) for s in groups[0][1]]
        assert names == sorted(names, key=str.casefold)  # sorted by the name shown
        assert tasks.input_kind_label("question_context") == "pregunta + contexto"
        assert tasks.reason(tasks.get("text-to-image")).startswith("Los modelos generativos")
    # translated when shown, never when made: the registry (built once per process) keeps English
    assert tasks.get("text-classification").name == "Text Classification"
    assert tasks.grouped_by_modality()[0][0] == "Natural Language Processing"
    assert tasks.reason(tasks.get("text-to-image")).startswith("Generative image/video models")


def test_examples_follow_the_ui_language_for_the_main_text_tasks():
    from lib import i18n
    from lib.runner.inputs import validate
    from lib.tasks import example_inputs

    es = {tag: example_inputs(tag, "es", "<mask>") for tag in (
        "text-classification", "token-classification", "question-answering", "fill-mask", "text-generation",
        "summarization", "translation", "sentence-similarity", "zero-shot-classification", "feature-extraction",
        "table-question-answering", "document-question-answering", "image-text-to-text")}
    assert es["text-classification"]["text"] == "Te quiero. Te amo."  # the Hub's own Spanish widget input
    assert es["question-answering"]["question"] == "¿Dónde vivo?"
    assert es["fill-mask"]["text"].startswith("Mi nombre es <mask>")
    assert es["sentence-similarity"]["source"] == "Esa es una persona feliz"
    # no Spanish widget input: Hub Scout's own example, in Spanish
    assert es["zero-shot-classification"]["labels"].startswith("urgente")
    assert es["feature-extraction"]["text"] == "Hub Scout te ayuda a elegir un modelo del Hub de Hugging Face."
    assert es["table-question-answering"]["text"] == "¿Qué ciudad tiene más habitantes?"
    assert es["document-question-answering"]["text"] == "¿Cuál es el total?"
    assert es["image-text-to-text"]["text"] == "Describe esta imagen."
    # language None: the UI's language now
    with i18n.scope("es"):
        assert example_inputs("text-classification") == es["text-classification"]
        assert example_inputs("text-classification", "en")["text"] == "I like you. I love you"
    assert example_inputs("text-classification")["text"] == "I like you. I love you"
    assert example_inputs("question-answering", "en")["question"] == "Where do I live?"
    for spec in tasks.registry().values():  # one click on Run works in Spanish too
        if spec.runnable:
            clean, _ = validate(spec.input_kind, example_inputs(spec.tag, "es", "[MASK]"))
            assert clean, spec.tag


def test_the_example_language_is_the_uis_unless_the_model_lists_others_only():
    from lib import i18n

    with i18n.scope("es"):
        assert tasks.example_language(()) == "es"
        assert tasks.example_language(["en", "es", "fr"]) == "es"
        assert tasks.example_language(["en"]) == "en"
        assert tasks.example_language(["fr", "de"]) == "fr"
    assert tasks.example_language(["en", "es"]) == "en"


def test_example_captions_follow_the_language():
    from lib import i18n
    from lib.tasks.common import EXAMPLE_IMAGE, EXAMPLE_NOTES

    assert EXAMPLE_NOTES.get(EXAMPLE_IMAGE.name).startswith("Example image")
    with i18n.scope("es"):
        assert EXAMPLE_NOTES.get(EXAMPLE_IMAGE.name).startswith("Imagen de ejemplo")
        assert EXAMPLE_NOTES[EXAMPLE_IMAGE.name].startswith("Imagen de ejemplo")
        assert EXAMPLE_NOTES.get("nothing.png", "x") == "x"
