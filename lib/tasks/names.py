"""Task and modality names in the message catalogue: the Hub's task list (``lib/data/pipeline_tags.json``,
English) names them, and these ``N_`` marks put every name in the catalogue so that
:func:`lib.tasks.display_name` and :func:`lib.tasks.grouped_by_modality` can translate them when shown.

Generated from the JSON (``python -m lib.tasks.names`` prints the tuples' lines again after the JSON is refreshed);
tests/test_task_registry.py checks that every name of the JSON is listed here.
"""
from __future__ import annotations

from lib.i18n import N_

#: every task name of the Hub's task list (and the legacy tags Hub Scout still names)
TASK_NAMES: tuple[str, ...] = (
    N_("Text Classification"),
    N_("Token Classification"),
    N_("Table Question Answering"),
    N_("Question Answering"),
    N_("Zero-Shot Classification"),
    N_("Translation"),
    N_("Summarization"),
    N_("Feature Extraction"),
    N_("Text Generation"),
    N_("Fill-Mask"),
    N_("Sentence Similarity"),
    N_("Text-to-Speech"),
    N_("Text-to-Audio"),
    N_("Automatic Speech Recognition"),
    N_("Audio-to-Audio"),
    N_("Audio Classification"),
    N_("Audio-Text-to-Text"),
    N_("Voice Activity Detection"),
    N_("Depth Estimation"),
    N_("Image Classification"),
    N_("Object Detection"),
    N_("Image Segmentation"),
    N_("Text-to-Image"),
    N_("Image-to-Text"),
    N_("Image-to-Image"),
    N_("Image-to-Video"),
    N_("Unconditional Image Generation"),
    N_("Video Classification"),
    N_("Reinforcement Learning"),
    N_("Robotics"),
    N_("Tabular Classification"),
    N_("Tabular Regression"),
    N_("Tabular to Text"),
    N_("Table to Text"),
    N_("Multiple Choice"),
    N_("Text Ranking"),
    N_("Text Retrieval"),
    N_("Time Series Forecasting"),
    N_("Text-to-Video"),
    N_("Image-Text-to-Text"),
    N_("Image-Text-to-Image"),
    N_("Image-Text-to-Video"),
    N_("Visual Question Answering"),
    N_("Document Question Answering"),
    N_("Zero-Shot Image Classification"),
    N_("Graph Machine Learning"),
    N_("Mask Generation"),
    N_("Zero-Shot Object Detection"),
    N_("Text-to-3D"),
    N_("Image-to-3D"),
    N_("Image Feature Extraction"),
    N_("Video-Text-to-Text"),
    N_("Keypoint Detection"),
    N_("Visual Document Retrieval"),
    N_("Any-to-Any"),
    N_("Video-to-Video"),
    N_("Other"),
    N_("Text2Text Generation"),
)

#: every modality label of the Hub's task list
MODALITY_LABELS: tuple[str, ...] = (
    N_("Natural Language Processing"),
    N_("Audio"),
    N_("Multimodal"),
    N_("Computer Vision"),
    N_("Reinforcement Learning"),
    N_("Tabular"),
    N_("Other"),
)


def hub_names() -> tuple[list[str], list[str]]:
    """The task names and modality labels the Hub's task list holds now (what this module must list)."""
    import json
    from pathlib import Path

    rows = json.loads((Path(__file__).resolve().parent.parent / "data" / "pipeline_tags.json").read_text("utf-8"))
    return list(dict.fromkeys(r["name"] for r in rows)), list(dict.fromkeys(r["modality_label"] for r in rows))


if __name__ == "__main__":  # the two tuples' lines, to paste above after refreshing pipeline_tags.json
    task_names, labels = hub_names()
    for group in (task_names, labels):
        print("\n".join(f'    N_("{n}"),' for n in group), end="\n\n")
