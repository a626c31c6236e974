"""The task core: what a task is (:class:`TaskSpec`), the input kinds, and the errors a run function
raises. No torch, no transformers, nothing from the rest of ``lib`` but :mod:`lib.i18n` (texts are English here:
``N_`` marks them for the catalogue; they are translated where shown)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lib.i18n import N_

#: input kind -> what the test-drive asks for (English: ``lib.tasks.input_kind_label`` translates it)
INPUT_KINDS = {
    "text": N_("free text"),
    "text_labels": N_("text + candidate labels"),
    "masked_text": N_("text with the model's mask token"),
    "question_context": N_("question + context"),
    "chat": N_("prompt / chat with generation settings"),
    "text_pair": N_("source sentence + sentences to compare"),
    "image": N_("an image"),
    "image_labels": N_("an image + candidate labels"),
    "image_question": N_("an image + a question"),
    "image_prompt": N_("an image + a prompt"),
    "audio": N_("an audio clip"),
    "table_question": N_("a table + a question"),
}


class TaskInputError(ValueError):
    """A run function's complaint about its inputs, meant for people (the runner reports it as BadInput)."""


class TaskRunError(RuntimeError):
    """The model cannot do what was asked, said for people (the runner reports it as RunFailed)."""


@dataclass(frozen=True)
class CodeParts:
    """The task-specific lines of the "use this model" code (``lib.runner.code`` writes the rest).

    Attributes:
        auto_class: the transformers Auto class (``AutoModelForSequenceClassification``).
        pipeline_call: ``(inputs, opts) -> str``: the lines after ``pipe = pipeline(...)`` that set
            ``result`` (image / audio loading lines are added before them). None: ``pipe(text)`` /
            ``pipe(image)``. A task without ``pipeline_task`` gets no pipeline code.
        auto_body: ``(inputs, config, opts) -> str``: the lines after the model is loaded (the
            tokenizer or processor is loaded as ``tokenizer`` / ``processor``, media as ``image`` /
            ``audio``, ``rate``).
        processor: ``tokenizer`` (AutoTokenizer) or ``processor`` (AutoProcessor).
    """

    auto_class: str = "AutoModel"
    pipeline_call: Callable[[dict, Any], str] | None = None
    auto_body: Callable[[dict, dict | None, Any], str] | None = None
    processor: str = "processor"


@dataclass(frozen=True)
class TaskSpec:
    """One Hub pipeline tag.

    Hub facts (filled from the Hub's task list when the tag is in it):
        tag: the Hub pipeline tag (``text-classification``).
        name: display name (``Text Classification``).
        modality / modality_label: ``nlp`` / ``Natural Language Processing`` …
        hidden: the Hub hides this task from its model filters.
        transformers_pipeline: ``yes`` / ``removed`` (transformers 5 removed it) / ``no``.

    What Hub Scout does with it (from the task module):
        input_kind: what the test-drive asks for (a key of :data:`INPUT_KINDS`).
        run: ``run(loaded, inputs, task, opts) -> (output, notices)`` on a loaded model
            (``lib.runner.loader.Loaded``) and validated inputs; None when not runnable.
        run_batch: ``run_batch(loaded, [inputs, …], task, opts) -> [(output, notices), …]`` for tasks whose
            pipeline takes lists (one call, batched); None: callers run ``run`` per item.
        renderer: the output renderer's name in ``lib.ui.outputs`` (output shapes: ``lib/tasks/common.py``).
        pipeline_task: the transformers ``pipeline()`` task the loader builds, when a pipeline is used.
        example: ``example(language, mask_token) -> inputs``: a starting input (the Hub's widget inputs
            in that language); None: a generic sentence.
        model_classes: names of transformers' ``MODEL_FOR_…_MAPPING_NAMES`` whose classes serve the task;
            the runner refuses other checkpoints and a local folder's task is guessed from them.
        head: the head in words, for the refusal (``a token-classification head``).
        check: ``check(config) -> reason | None``: an extra refusal beyond the classes (zero-shot needs
            an entailment label …).
        route: ``route(config) -> (runner name, notice) | None``: run this model with another task's
            run function (an encoder-decoder asked for text-generation runs as seq2seq).
        mismatch_hint: appended to the refusal when the classes do not fit.
        guess_rank: when an architecture serves several tasks, a local folder's guess is the lowest rank.
        hood: ``hood(loaded, model_id, task, inputs) -> lib.tasks.hood.UnderTheHood``: the text path step
            by step (tokens, logits, softmax, labels) on the loaded model; None: no such view.
        code: the task's lines of the generated code (:class:`CodeParts`).
        metric: how a session scores outputs against references (``lib.sessions.metrics``):
            ``classification`` (accuracy, macro-F1), ``extractive_qa`` (exact match, token F1) or ``text``
            (chrF); None: no reference metric.
        prediction: ``prediction(output) -> str | None``: the output as the string compared with a
            reference (the top label, the answer, the text); None when the output has none.
        reason: why the task cannot run here (when ``run`` is None).
    """

    tag: str
    name: str = ""
    modality: str = "other"
    modality_label: str = N_("Other")
    hidden: bool = False
    transformers_pipeline: str = "no"
    input_kind: str | None = None
    run: Callable[..., tuple[dict, list[str]]] | None = field(default=None, compare=False)
    run_batch: Callable[..., list[tuple[dict, list[str]]]] | None = field(default=None, compare=False)
    renderer: str | None = None
    pipeline_task: str | None = None
    example: Callable[[str, str | None], dict[str, Any]] | None = field(default=None, compare=False)
    model_classes: tuple[str, ...] = ()
    head: str | None = None
    check: Callable[[dict], str | None] | None = field(default=None, compare=False)
    route: Callable[[dict], tuple[str, str] | None] | None = field(default=None, compare=False)
    mismatch_hint: str = ""
    guess_rank: int = 50
    hood: Callable[..., Any] | None = field(default=None, compare=False)
    code: CodeParts = field(default_factory=CodeParts, compare=False)
    metric: str | None = None
    prediction: Callable[[dict], str | None] | None = field(default=None, compare=False)
    reason: str | None = None

    @property
    def runnable(self) -> bool:
        """Whether Hub Scout can run it in place."""
        return self.run is not None

    @property
    def runner(self) -> str | None:
        """The run function's name: what the loader loads the model for (a pipeline, or Auto classes)."""
        return self.run.__name__ if self.run is not None else None
