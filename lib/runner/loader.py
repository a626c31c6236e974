"""Find a model's files (local folder or Hub download with byte progress) and load it for a runner.

The Hub is asked only through the gateway (:mod:`lib.hub.gateway`): its facts cache means a model the
Model page already looked up costs no ``model_info`` or config.json request here, and a rerun none at
all; a Hub failure arrives as a :class:`~lib.hub.errors.HubError` and becomes :class:`ModelUnavailable`.
torch / transformers / huggingface_hub are imported inside the functions, never at module import.
"""
from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lib.i18n import _

from .errors import LoadFailed, ModelUnavailable, described
from .placement import _placed, dtype_problem, offload_kwargs  # noqa: F401 - dtype_problem: the load's check
from .result import LoadProgress

ProgressFn = Callable[[LoadProgress], None]

# never downloaded: other frameworks' weights and exports
# i18n: file patterns
IGNORE_ALWAYS = ["*.h5", "*.msgpack", "*.onnx", "*.onnx_data", "*.ot", "*.tflite", "*.gguf", "*.mlmodel",
                 # i18n: file patterns
                 "onnx/*", "openvino/*", "coreml/*", "*.tar.gz", "*.zip"]
PICKLE_WEIGHTS = ["*.bin", "*.pt", "*.pth", "*.ckpt"]


@dataclass
class RepoFacts:
    """What is known about a model's files before loading.

    Attributes:
        source: the local folder, or the Hub repo id.
        is_local: ``source`` is a folder on disk.
        config: parsed config.json ({} when missing).
        files: file names in the repo / folder.
        total_bytes: size of what would be downloaded (0 when unknown).
        tags: Hub tags (``custom_code`` …), empty for local folders.
        revision: commit / revision asked for.
        notices: what the user should know about where the files come from.
        sha: the commit the Hub resolved ``revision`` to (downloads then skip resolving it again).
    """

    source: str
    is_local: bool
    config: dict
    files: list[str] = field(default_factory=list)
    total_bytes: int = 0
    tags: list[str] = field(default_factory=list)
    revision: str | None = None
    notices: list[str] = field(default_factory=list)
    sha: str | None = None

    @property
    def has_safetensors(self) -> bool:
        return any(f.endswith(".safetensors") for f in self.files)

    @property
    def download_bytes(self) -> int | None:
        """What a load downloads, in bytes; None when unknown (no sizes, but weight files)."""
        from lib.hub.normalize import weight_file_kind

        if self.total_bytes or not any(weight_file_kind(f) for f in self.files):
            return self.total_bytes
        return None

    @property
    def is_sentence_transformers(self) -> bool:
        return "modules.json" in self.files or "sentence-transformers" in self.tags


def _notify(progress: ProgressFn | None, p: LoadProgress) -> None:
    if progress is not None:
        try:
            progress(p)
        except Exception:
            pass  # a broken UI callback must not break the load


def inspect(model: str, revision: str | None = None, token: str | None = None,
            progress: ProgressFn | None = None, *, folders: bool = True) -> RepoFacts:
    """Read config.json and the file list without downloading weights (Hub facts come from the
    gateway's per-process cache when the model was looked up recently). ``folders``: a model folder on
    this machine may be named (else ``model`` is always a Hub id)."""
    from lib import local_models

    if folders and local_models.is_local_folder(model):
        return _folder_facts(Path(model).expanduser())
    if folders and local_models.looks_like_path(model):
        raise ModelUnavailable(_(local_models.NOT_A_MODEL_FOLDER), kind="not_found")
    return _hub_facts(model, revision, token, progress)


def forget_hub_facts() -> None:
    """Drop the remembered Hub facts (tests; a "refresh" that must ask the Hub again)."""
    from lib.hub.facts import forget

    forget()


def _hub_facts(model: str, revision: str | None, token: str | None, progress: ProgressFn | None) -> RepoFacts:
    """The model's info (file list, sizes, tags) + config.json through the gateway; the local cache
    when the Hub cannot answer."""
    from lib.hub import gateway
    from lib.hub.errors import HubError

    _notify(progress, LoadProgress("resolve", _("Looking up {model} on the Hub").format(model=model)))
    try:
        info = gateway.model_info(model, revision=revision, token=token)
        files = [s.rfilename for s in (info.siblings or [])]
        sizes = {s.rfilename: (s.size or 0) for s in (info.siblings or [])}
        tags = list(info.tags or [])
        config = _hub_config(model, revision, token, files)
    except HubError as e:
        if not e.unavailable:
            raise ModelUnavailable.from_hub(e) from None
        cached = _cached_snapshot(model, revision)
        if cached is None:
            raise ModelUnavailable(_("Could not reach the Hub for {model} ({problem}), and it is not in the local "
                                     "cache.").format(model=model, problem=e.message), kind=e.kind) from None
        facts = _folder_facts(cached, _("The local cache's copy of {model}").format(model=model))
        facts.notices.append(_("The Hub did not answer ({problem}): using the copy of {model} in the local "
                               "cache.").format(problem=e.message, model=model))
        return facts
    facts = RepoFacts(model, False, config, files, 0, tags, revision, sha=info.sha)
    facts.total_bytes = planned_download(sizes) or 0
    return facts


def planned_download(sizes: dict[str, int | None]) -> int | None:
    """Bytes a load of a Hub repo downloads, from its files' sizes (``path → bytes``): only the files the
    loader fetches (no ONNX / TF / GGUF copies; no pickle weights beside safetensors). None when unknown:
    the Hub gave no sizes for the repo's weight files. The test-drive shows the download cap with it
    before Run; the runner enforces the same figure."""
    files = list(sizes)
    wanted = _wanted(files, any(f.endswith(".safetensors") for f in files))
    total = sum(sizes.get(f) or 0 for f in wanted)
    from lib.hub.normalize import weight_file_kind

    if not total and any(weight_file_kind(f) for f in wanted):
        return None
    return total


def _hub_config(model: str, revision: str | None, token: str | None, files: list[str]) -> dict:
    """config.json ({} when the repo has none); a config that is not a JSON object is the model's fault."""
    from lib.hub import gateway
    from lib.hub.errors import HubError

    if "config.json" not in files:
        return {}
    try:
        return gateway.model_config(model, revision=revision, token=token)
    except HubError as e:
        if e.kind == "not_found":
            return {}
        if e.kind == "bad_answer":
            raise ModelUnavailable.from_hub(e, prefix=f"{model}: ") from None
        raise


def _folder_facts(path: Path, what: str | None = None) -> RepoFacts:
    """``what``: the folder in words for a message (default: its path)."""
    from lib import local_models
    from lib.hub import gateway
    from lib.hub.errors import HubError

    try:
        files = local_models.folder_files(path)  # bounded: never walks a huge tree
    except local_models.FolderProblem as e:
        raise ModelUnavailable(str(e), kind="not_found") from None
    config: dict = {}
    if (path / "config.json").is_file():  # there but unreadable: say so, not "no config.json"
        try:
            config = gateway.read_config_file(path / "config.json")
        except HubError as e:
            raise ModelUnavailable(_("{folder}: its {problem}.").format(folder=what or path, problem=e.message),
                                   kind="bad_answer") from None
    sizes = 0
    for f in files:
        try:
            sizes += (path / f).stat().st_size
        except OSError:
            pass
    return RepoFacts(str(path), True, config, files, sizes)


def _cached_snapshot(model: str, revision: str | None) -> Path | None:
    """The complete local-cache snapshot of ``model`` with a config.json (no network), or None."""
    from lib.hub import gateway

    folder = gateway.cached_snapshot(model, revision)
    return folder if folder is not None and (folder / "config.json").is_file() else None


def download_files(files: list[str]) -> list[str]:
    """The files of a Hub repo a load downloads: no ONNX / TF / GGUF copies, no pickle weights beside
    safetensors (the Local models page pre-downloads exactly these)."""
    return _wanted(files, any(f.endswith(".safetensors") for f in files))


def _wanted(files: list[str], has_safetensors: bool) -> list[str]:
    import fnmatch

    ignore = IGNORE_ALWAYS + (PICKLE_WEIGHTS if has_safetensors else [])
    return [f for f in files if not any(fnmatch.fnmatch(f, pat) for pat in ignore)]


def download(facts: RepoFacts, token: str | None = None, progress: ProgressFn | None = None) -> str:
    """Local folder for ``facts`` (downloads from the Hub with byte progress when needed)."""
    if facts.is_local:
        return facts.source
    from tqdm.auto import tqdm as base_tqdm

    from lib.hub import gateway
    from lib.hub.errors import HubError

    total = facts.total_bytes
    state = {"done": 0}
    # made here, in the run's language: update() is called on huggingface_hub's download threads
    downloading = _("Downloading {model}").format(model=facts.source)

    class _Progress(base_tqdm):  # the tqdm_class hook of snapshot_download
        def __init__(self, *args, **kwargs):
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            self._bytes = kwargs.get("unit") == "B"

        def update(self, n=1):
            if self._bytes and n:
                state["done"] += int(n)
                _notify(progress, LoadProgress("download", downloading,
                                               min(state["done"], total) if total else state["done"], total))
            return super().update(n)

    _notify(progress, LoadProgress("download", downloading, 0, total))
    ignore = IGNORE_ALWAYS + (PICKLE_WEIGHTS if facts.has_safetensors else [])
    try:  # the resolved commit: no second model_info request, cached files cost none
        folder = gateway.download_snapshot(facts.source, revision=facts.sha or facts.revision, token=token,
                                           ignore_patterns=ignore, tqdm_class=_Progress)
    except HubError as e:  # network / disk errors
        prefix = _("Downloading {model} failed: ").format(model=facts.source)
        raise ModelUnavailable.from_hub(e, prefix=prefix) from None
    _notify(progress, LoadProgress("download", _("Downloaded {model}").format(model=facts.source), total, total))
    return folder


@dataclass
class Loaded:
    """A loaded model ready for a run function.

    ``kind``: ``pipeline`` (``pipe`` set), ``auto`` (``model`` + ``tokenizer``/``processor``) or
    ``sentence_transformers`` (``model`` is a SentenceTransformer). ``st_layout``: a plain
    sentence-transformers repo loaded ``auto`` (:class:`lib.tasks.embeddings.StLayout`: its pooling).
    """

    kind: str
    device: str
    dtype: str
    folder: str
    config: dict
    pipe: Any = None
    model: Any = None
    tokenizer: Any = None
    processor: Any = None
    notices: list[str] = field(default_factory=list)
    st_layout: Any = None

    @property
    def is_sentence_transformers(self) -> bool:
        """Loaded from a sentence-transformers repo (through that library or through its plain layout)."""
        return self.kind == "sentence_transformers" or self.st_layout is not None


def model_bytes(model: Any) -> int:
    """Parameter + buffer bytes of a torch module (0 if unknown)."""
    try:
        n = sum(p.numel() * p.element_size() for p in model.parameters())
        n += sum(b.numel() * b.element_size() for b in model.buffers())
        return int(n)
    except Exception:
        return 0


def load(folder: str, runner: str, pipeline_task: str | None, device: str, dtype: str, *,
         config: dict, trust_remote_code: bool = False, use_safetensors: bool | None = None,
         sentence_transformers: bool = False, local_files_only: bool = False,
         max_memory: dict[Any, int] | None = None) -> tuple[Loaded, int]:
    """Load ``folder`` for ``runner``; returns (Loaded, size in bytes). Raises LoadFailed.
    ``local_files_only``: transformers must not ask the Hub for anything (an offline run).
    ``max_memory``: partial offload — ``device_map="auto"`` with these weight bytes per device (accelerate
    places the layers that do not fit on the next device: RAM, then a temporary offload folder)."""
    import warnings

    from lib import runtime

    from .device import torch_dtype_name

    torch = runtime.torch()

    tdtype = getattr(torch, torch_dtype_name(dtype))
    mk: dict[str, Any] = {"dtype": tdtype, "trust_remote_code": trust_remote_code}
    if use_safetensors:
        mk["use_safetensors"] = True
    if local_files_only:
        mk["local_files_only"] = True
    mk.update(offload_kwargs(max_memory))
    try:
        with warnings.catch_warnings(), _default_dtype_kept():
            warnings.simplefilter("ignore")
            loaded = _load(folder, runner, pipeline_task, device, dtype, tdtype, mk, config, sentence_transformers)
    except (LoadFailed, MemoryError):
        raise
    except Exception as e:
        from lib.local_models import damaged_message, safetensors_problem

        if damaged := safetensors_problem(folder):  # a truncated download: say so, and what to do
            raise LoadFailed(damaged_message(damaged)) from None
        why = described(e, f"loading {folder} for {pipeline_task or runner}", 200)  # i18n: the server log's context
        raise LoadFailed(_("transformers could not load this model for {task}: {why}").format(
            task=pipeline_task or runner, why=why)) from None
    target = loaded.pipe.model if loaded.pipe is not None else loaded.model
    target.eval()
    problem = dtype_problem(target, tdtype, offloaded=bool(max_memory))
    if problem:
        raise LoadFailed(_("The model came out of loading broken ({problem}), so it was not kept. Run again to "
                           "load it afresh.").format(problem=problem))
    return loaded, model_bytes(target)


@contextmanager
def _default_dtype_kept():
    """torch's process-wide default dtype is float32 before and after a load.

    transformers sets the default dtype while it builds a model (``local_torch_dtype``) and restores what
    it found; two loads overlapping in threads would each "restore" the other's precision and leave
    the process on bf16. Loads are serialised by the cache's load queue; this also repairs a default
    that anything else left changed (Hub Scout itself never changes it).
    """
    import torch

    if torch.get_default_dtype() != torch.float32:
        torch.set_default_dtype(torch.float32)
    try:
        yield
    finally:
        if torch.get_default_dtype() != torch.float32:
            torch.set_default_dtype(torch.float32)


def _load(folder, runner, pipeline_task, device, dtype, tdtype, mk, config, st) -> Loaded:
    from lib import runtime

    T = runtime.transformers()

    trc = mk["trust_remote_code"]
    hub = _hub(mk)
    if runner in ("run_feature_extraction", "run_sentence_similarity"):
        if st:
            plain = _plain_sentence_transformers(folder, T, device, dtype, mk, config)
            if plain is not None:
                return plain
            runtime.sentence_transformers()
            from sentence_transformers import SentenceTransformer

            m = SentenceTransformer(folder, device=device, trust_remote_code=trc,
                                    model_kwargs={"dtype": tdtype}, **hub)  # one device: no offload here
            return Loaded("sentence_transformers", device, dtype, folder, config, model=m)
        tok = T.AutoTokenizer.from_pretrained(folder, trust_remote_code=trc, **hub)
        m = _placed(T.AutoModel.from_pretrained(folder, **mk), device, mk)
        return Loaded("auto", device, dtype, folder, config, model=m, tokenizer=tok)
    if runner == "run_seq2seq":
        tok = T.AutoTokenizer.from_pretrained(folder, trust_remote_code=trc, **hub)
        m = _placed(T.AutoModelForSeq2SeqLM.from_pretrained(folder, **mk), device, mk)
        return Loaded("auto", device, dtype, folder, config, model=m, tokenizer=tok)
    if runner == "run_question_answering":
        tok = T.AutoTokenizer.from_pretrained(folder, trust_remote_code=trc, **hub)
        m = _placed(T.AutoModelForQuestionAnswering.from_pretrained(folder, **mk), device, mk)
        return Loaded("auto", device, dtype, folder, config, model=m, tokenizer=tok)
    if runner == "run_image_text_to_text" and not Path(folder, "processor_config.json").exists() \
            and not Path(folder, "preprocessor_config.json").exists():
        raise LoadFailed(_("This image-to-text model ships no image processor, so it cannot be run."))
    model_kwargs = {k: v for k, v in mk.items() if k not in ("dtype", "trust_remote_code", "local_files_only")}
    runtime.pipelines()
    try:  # with a device_map the pipeline runs where accelerate put the first layers
        pipe = T.pipeline(pipeline_task, model=folder, device=None if mk.get("device_map") else device,
                          dtype=tdtype, trust_remote_code=trc, model_kwargs=model_kwargs, **hub)
    except TypeError as e:
        if runner == "run_image_text_to_text" and "ProcessorMixin" in str(e):
            # vision-encoder-decoder captioners (ViT + GPT-2 …) ship an image processor + tokenizer only
            proc = T.AutoImageProcessor.from_pretrained(folder, **hub)
            tok = T.AutoTokenizer.from_pretrained(folder, trust_remote_code=trc, **hub)
            m = _placed(T.AutoModelForImageTextToText.from_pretrained(folder, **mk), device, mk)
            return Loaded("auto", device, dtype, folder, config, model=m, tokenizer=tok, processor=proc)
        raise
    _loading_only(pipe, hub)
    return Loaded("pipeline", device, dtype, folder, config, pipe=pipe)


def _loading_only(pipe: Any, hub: dict[str, Any]) -> None:
    """Drop the Hub arguments from the pipeline's call arguments: pipeline() reads ``local_files_only``
    for loading but also keeps it among the arguments of every call, where generation rejects it
    ("model_kwargs are not used")."""
    for name in ("_preprocess_params", "_forward_params", "_postprocess_params"):
        params = getattr(pipe, name, None)
        if isinstance(params, dict):
            for key in hub:
                params.pop(key, None)
                if isinstance(params.get("generate_kwargs"), dict):
                    params["generate_kwargs"].pop(key, None)


def _hub(mk: dict[str, Any]) -> dict[str, Any]:
    """The Hub arguments every from_pretrained of one load shares (``local_files_only`` when offline)."""
    return {"local_files_only": True} if mk.get("local_files_only") else {}


def _plain_sentence_transformers(folder, T, device, dtype, mk, config) -> Loaded | None:
    """A plain sentence-transformers folder (Transformer + Pooling [+ Normalize]) loaded through AutoModel
    as the library loads its Transformer module (tokenizer limit: ``max_seq_length``, else the tokenizer's
    capped at ``max_position_embeddings``), with no sentence_transformers import; None for other layouts."""
    from lib import runtime
    from lib.tasks.embeddings import plain_sentence_transformers

    layout = plain_sentence_transformers(folder)
    if layout is None:
        return None
    runtime.models()
    tok_kw = {"model_max_length": layout.max_seq_length} if layout.max_seq_length else {}
    tok = T.AutoTokenizer.from_pretrained(folder, **tok_kw, **_hub(mk))
    m = _placed(T.AutoModel.from_pretrained(folder, **mk), device, mk)
    longest = getattr(m.config, "max_position_embeddings", None)
    if not tok_kw and isinstance(longest, int) and longest != -1:
        tok.model_max_length = min(tok.model_max_length, longest)
    return Loaded("auto", device, dtype, folder, config, model=m, tokenizer=tok, st_layout=layout)
