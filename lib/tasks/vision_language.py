"""Image + prompt -> text: vision-language chat models (image-text-to-text) and captioners (image-to-text)."""
from __future__ import annotations

from typing import Any

from lib.i18n import N_, _

from .common import EXAMPLE_IMAGE, Output, cap_new_tokens, decoder_limit, gen_kwargs, has_chat_template, output_text
from .core import CodeParts, TaskSpec

VLM_CLASSES = ("MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES",)


def _example(prompt: str):
    def example(language: str, mask_token: str | None = None) -> dict[str, Any]:
        return {"image": str(EXAMPLE_IMAGE), "text": _(prompt) if prompt else ""}

    return example


def run_image_text_to_text(loaded, inputs: dict, task: str, opts) -> Output:
    """Image + prompt -> text (captioners and vision-language chat models)."""
    import torch

    notices: list[str] = []
    prompt = inputs.get("text") or ""
    tok = loaded.tokenizer if loaded.pipe is None else getattr(loaded.pipe, "tokenizer", None)
    kw = gen_kwargs(opts, cap_new_tokens(opts, decoder_limit(tok, loaded.config), notices))
    if loaded.pipe is not None:
        pipe = loaded.pipe
        kw = {"max_new_tokens": kw.pop("max_new_tokens"), "generate_kwargs": kw}
        if has_chat_template(getattr(pipe, "processor", None)):
            content = [{"type": "image", "image": inputs["image"]}]
            if prompt:
                content.append({"type": "text", "text": prompt})
            res = pipe(text=[{"role": "user", "content": content}], return_full_text=False, **kw)
        else:
            res = pipe(images=inputs["image"], text=prompt, return_full_text=False, **kw)
        res = res[0] if isinstance(res, list) else res
        text = res["generated_text"]
        if isinstance(text, list):
            text = text[-1]["content"]
        return {"text": str(text).strip()}, notices
    pixel = loaded.processor(images=inputs["image"], return_tensors="pt")["pixel_values"]
    pixel = pixel.to(loaded.device, dtype=next(loaded.model.parameters()).dtype)
    if prompt:
        notices.append(_("This captioning model does not read prompts: the prompt was ignored."))
    with torch.inference_mode():
        ids = loaded.model.generate(pixel_values=pixel, **kw)
    return {"text": loaded.tokenizer.decode(ids[0], skip_special_tokens=True).strip()}, notices


def _pipeline_call(inp: dict, opts: Any) -> str:
    return (f"result = pipe(images=image, text={inp.get('text') or None!r}, "  # i18n: code shown as code
            f"max_new_tokens={getattr(opts, 'max_new_tokens', 64)})\n")


def _auto_body(inp: dict, config: dict | None, opts: Any) -> str:
    # i18n: code shown as code
    return (f"inputs = processor(images=image, text={inp.get('text') or None!r}, return_tensors=\"pt\").to(device)\n"
            f"with torch.inference_mode():\n    ids = model.generate(**inputs, max_new_tokens="
            f"{getattr(opts, 'max_new_tokens', 64)})\n"
            "print(processor.batch_decode(ids, skip_special_tokens=True)[0])\n")


_CODE = CodeParts("AutoModelForImageTextToText", _pipeline_call, _auto_body)

TASKS = [
    TaskSpec(tag="image-text-to-text", input_kind="image_prompt", run=run_image_text_to_text, renderer="text",
             pipeline_task="image-text-to-text", example=_example(N_("Describe this image.")),
             model_classes=VLM_CLASSES, guess_rank=40, code=_CODE, metric="text", prediction=output_text),
    TaskSpec(tag="image-to-text", input_kind="image_prompt", run=run_image_text_to_text, renderer="text",
             pipeline_task="image-text-to-text", example=_example(""), model_classes=VLM_CLASSES, guess_rank=45,
             code=_CODE, metric="text", prediction=output_text),
]
