"""Vision: image classification (fixed labels or zero-shot), object detection, segmentation, depth."""
from __future__ import annotations

from typing import Any

from lib import format as fmt
from lib.i18n import N_, _

from .common import EXAMPLE_IMAGE, Output, f, image_out_size, scores, top_label
from .core import CodeParts, TaskSpec

BATCH_SIZE = 16
# i18n: code shown as code
_PREDICT = 'inputs = processor(images=image, return_tensors="pt").to(device)\nwith torch.inference_mode():\n'


def image_example(language: str, mask_token: str | None = None) -> dict[str, Any]:
    return {"image": str(EXAMPLE_IMAGE)}


def _labels_example(language: str, mask_token: str | None = None) -> dict[str, Any]:
    return {"image": str(EXAMPLE_IMAGE), "labels": _("a house, a car, a cat, a beach")}


# --------------------------------------------------------------------------- classification
def run_image_classification(loaded, inputs: dict, task: str, opts) -> Output:
    return scores(loaded.pipe(inputs["image"], top_k=10)), []


def run_image_classification_batch(loaded, items: list[dict], task: str, opts) -> list[Output]:
    rows = loaded.pipe([it["image"] for it in items], top_k=10, batch_size=BATCH_SIZE)
    return [(scores(r), []) for r in rows]


def _auto_image_classification(inp: dict, config: dict | None, opts: Any) -> str:
    return (_PREDICT + "    probs = model(**inputs).logits.softmax(-1)[0]\n"  # i18n: code shown as code
            "for p, i in zip(*probs.topk(min(5, probs.numel()))):\n"
            "    print(model.config.id2label[int(i)], round(float(p), 4))\n")


def run_zero_shot_image_classification(loaded, inputs: dict, task: str, opts) -> Output:
    return scores(loaded.pipe(inputs["image"], candidate_labels=inputs["labels"])), []


def _pipeline_zero_shot(inp: dict, opts: Any) -> str:
    return f"result = pipe(image, candidate_labels={inp['labels']!r})\n"  # i18n: code shown as code


def _auto_zero_shot(inp: dict, config: dict | None, opts: Any) -> str:
    return (f"labels = {inp['labels']!r}\n"  # i18n: code shown as code
            'inputs = processor(images=image, text=labels, padding=True, return_tensors="pt").to(device)\n'
            "with torch.inference_mode():\n    probs = model(**inputs).logits_per_image.softmax(-1)[0]\n"
            "print(dict(zip(labels, probs.tolist())))\n")


# --------------------------------------------------------------------------- detection, segmentation, depth
def run_object_detection(loaded, inputs: dict, task: str, opts) -> Output:
    notices: list[str] = []
    rows = loaded.pipe(inputs["image"], threshold=opts.threshold)
    boxes = [{"label": str(r["label"]), "score": f(r["score"]), **{k: int(v) for k, v in r["box"].items()}}
             for r in sorted(rows, key=lambda r: -r["score"])]
    if not boxes:
        notices.append(_("No object scored above the {threshold} threshold.").format(
            threshold=fmt.number(opts.threshold, decimals=2)))
    return {"image_size": image_out_size(inputs["image"]), "boxes": boxes}, notices


def _auto_object_detection(inp: dict, config: dict | None, opts: Any) -> str:
    return (_PREDICT + "    outputs = model(**inputs)\n"  # i18n: code shown as code
            "result = processor.post_process_object_detection(outputs, threshold=0.5, "
            "target_sizes=[image.size[::-1]])[0]\n"
            'for s, l, b in zip(result["scores"], result["labels"], result["boxes"]):\n'
            "    print(model.config.id2label[int(l)], round(float(s), 3), [round(float(x)) for x in b])\n")


def run_image_segmentation(loaded, inputs: dict, task: str, opts) -> Output:
    import numpy as np

    rows = loaded.pipe(inputs["image"])
    masks = [{"label": str(r["label"]), "score": f(r.get("score")), "mask": np.asarray(r["mask"]) > 0}
             for r in rows]
    return {"image_size": image_out_size(inputs["image"]), "masks": masks}, []


def _auto_segmentation(inp: dict, config: dict | None, opts: Any) -> str:
    return (_PREDICT + "    outputs = model(**inputs)\n"  # i18n: code shown as code
            "seg = processor.post_process_semantic_segmentation(outputs, target_sizes=[image.size[::-1]])[0]\n"
            "print({model.config.id2label[int(i)] for i in seg.unique()})\n")


def run_depth_estimation(loaded, inputs: dict, task: str, opts) -> Output:
    import numpy as np

    res = loaded.pipe(inputs["image"])
    depth = res["predicted_depth"]
    depth = depth.float().cpu().numpy() if hasattr(depth, "cpu") else np.asarray(depth, dtype=np.float32)
    return {"depth": np.squeeze(depth), "image": res.get("depth")}, []


def _auto_depth(inp: dict, config: dict | None, opts: Any) -> str:
    return (_PREDICT + "    depth = model(**inputs).predicted_depth[0]\n"  # i18n: code shown as code
            "print(depth.shape, float(depth.min()), float(depth.max()))\n")


TASKS = [
    TaskSpec(tag="image-classification", input_kind="image", run=run_image_classification,
             run_batch=run_image_classification_batch, renderer="scores", pipeline_task="image-classification",
             example=image_example, model_classes=("MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING_NAMES",),
             head=N_("an image-classification head"), metric="classification", prediction=top_label,
             code=CodeParts("AutoModelForImageClassification", auto_body=_auto_image_classification)),
    TaskSpec(tag="zero-shot-image-classification", input_kind="image_labels", run=run_zero_shot_image_classification,
             renderer="scores", pipeline_task="zero-shot-image-classification", example=_labels_example,
             metric="classification", prediction=top_label,
             model_classes=("MODEL_FOR_ZERO_SHOT_IMAGE_CLASSIFICATION_MAPPING_NAMES",),
             code=CodeParts("AutoModelForZeroShotImageClassification", _pipeline_zero_shot, _auto_zero_shot)),
    TaskSpec(tag="object-detection", input_kind="image", run=run_object_detection, renderer="boxes",
             pipeline_task="object-detection", example=image_example,
             model_classes=("MODEL_FOR_OBJECT_DETECTION_MAPPING_NAMES",), head=N_("an object-detection head"),
             code=CodeParts("AutoModelForObjectDetection", auto_body=_auto_object_detection)),
    TaskSpec(tag="image-segmentation", input_kind="image", run=run_image_segmentation, renderer="masks",
             pipeline_task="image-segmentation", example=image_example,
             model_classes=("MODEL_FOR_IMAGE_SEGMENTATION_MAPPING_NAMES",
                            "MODEL_FOR_SEMANTIC_SEGMENTATION_MAPPING_NAMES",
                            "MODEL_FOR_INSTANCE_SEGMENTATION_MAPPING_NAMES",
                            "MODEL_FOR_UNIVERSAL_SEGMENTATION_MAPPING_NAMES"),
             code=CodeParts("AutoModelForSemanticSegmentation", auto_body=_auto_segmentation)),
    TaskSpec(tag="depth-estimation", input_kind="image", run=run_depth_estimation, renderer="depth",
             pipeline_task="depth-estimation", example=image_example,
             model_classes=("MODEL_FOR_DEPTH_ESTIMATION_MAPPING_NAMES",),
             code=CodeParts("AutoModelForDepthEstimation", auto_body=_auto_depth)),
]
