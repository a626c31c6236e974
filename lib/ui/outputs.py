"""Output renderers, one per ``lib.tasks`` renderer name (shapes: lib/tasks/common.py docstring).

``render(result, image=None)`` draws a RunResult's output; ``image`` is the input picture for
renderers that draw on it (boxes, masks, depth).
"""
from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from lib import format as fmt
from lib import pictures
from lib.i18n import _, ngettext


def scores(out: dict, task: str, image: Any = None) -> None:
    """Horizontal score bars, best first."""
    df = pd.DataFrame({"label": out["labels"], "score": out["scores"]})
    df = df.head(20)
    if df.empty:
        st.info(_("The model returned no scores."))
        return
    order = list(df["label"])
    h = max(90, 34 * len(df))
    bars = alt.Chart(df).properties(height=h).mark_bar(cornerRadiusEnd=3).encode(
        x=alt.X("score:Q", title=_("score"), scale=alt.Scale(domain=[0, max(1.0, float(df["score"].max()))])),
        y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
        color=alt.condition(alt.datum.label == order[0], alt.value("#ff9d00"), alt.value("#7b8794")),
        tooltip=[alt.Tooltip("label:N", title=_("label")), alt.Tooltip("score:Q", title=_("score"), format=".4f")],
    )
    text = bars.mark_text(align="left", dx=4).encode(text=alt.Text("score:Q", format=".3f"),
                                                       color=alt.value("#31333f"))
    st.altair_chart(alt.layer(bars, text).properties(height=h), width="stretch", height=h + 80)
    st.markdown(_("Top: **{label}** ({score})").format(label=html.escape(order[0]),
                                                        score=fmt.percent(float(df["score"].iloc[0]), decimals=1)))
    if out.get("sequences"):
        st.caption(_("Completed sentences:"))
        st.dataframe(pd.DataFrame({"sequence": out["sequences"], "score": out["scores"]}), hide_index=True,
                     width="stretch", column_config={"sequence": _("sequence"), "score": _("score")})


def entities(out: dict, task: str, image: Any = None) -> None:
    """The text with each entity highlighted, then the entity table."""
    ents = out.get("entities") or []
    if not ents:
        st.info(_("No entities found in this text."))
        st.text(out.get("text", ""))
        return
    # i18n: HTML around the model's output
    st.markdown(f'<div style="line-height: 2.1">{pictures.highlight_spans(out["text"], ents)}</div>',
                unsafe_allow_html=True)
    st.dataframe(pd.DataFrame(ents)[["word", "label", "score", "start", "end"]], hide_index=True, width="stretch",
                 column_config={"word": _("word"), "label": _("label"), "start": _("start"), "end": _("end"),
                                "score": st.column_config.ProgressColumn(_("score"), min_value=0, max_value=1,
                                                                         format="%.3f")})


def boxes(out: dict, task: str, image: Any = None) -> None:
    """Boxes drawn on the input image, and a table of them."""
    rows = out.get("boxes") or []
    if image is not None:
        st.image(pictures.draw_boxes(image, rows),
                 caption=ngettext("{n} box", "{n} boxes", len(rows)).format(n=fmt.number(len(rows))), width="content")
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                     column_config={"label": _("label"), "score": _("score")})


def masks(out: dict, task: str, image: Any = None) -> None:
    """Each mask tinted over the input image, with a legend."""
    ms = out.get("masks") or []
    if image is not None:
        st.image(pictures.overlay_masks(image, ms), width="content",
                 caption=ngettext("{n} segment", "{n} segments", len(ms)).format(n=fmt.number(len(ms))))
    labels = list(dict.fromkeys(m["label"] for m in ms))
    legend = " ".join(  # i18n: HTML around the model's labels
        f'<span style="background:{pictures.hex_color(pictures.label_color(m["label"], labels))};color:white;'
        f'padding:1px 6px;border-radius:4px;margin-right:4px">{html.escape(m["label"])}'
        + (f' {m["score"]:.2f}' if m.get("score") is not None else "")
        + f' · {int(m["mask"].sum()) / max(m["mask"].size, 1):.0%}</span>' for m in ms)
    if legend:
        st.markdown(legend, unsafe_allow_html=True)


def text(out: dict, task: str, image: Any = None) -> None:
    """Generated / transcribed / answered text."""
    value = out.get("text", "")
    with st.container(border=True):
        if value.strip():
            if out.get("chat") is False and out.get("prompt"):
                # i18n: HTML around the prompt and the model's output
                st.markdown(f'<span style="color:#808495">{html.escape(out["prompt"])}</span>'
                            f'{html.escape(value)}', unsafe_allow_html=True)
            else:
                st.text(value)
        else:
            st.caption(_("(the model produced empty text)"))
    if out.get("cells"):
        agg = out.get("aggregator")
        cells = ", ".join(out["cells"])
        st.caption(_("Cells used: {cells} · aggregation: {aggregation}").format(cells=cells, aggregation=agg)
                   if agg and agg != "NONE" else _("Cells used: {cells}").format(cells=cells))
    if out.get("score") is not None:
        st.caption(_("score {score}").format(score=fmt.number(out["score"], decimals=3)))


def audio(out: dict, task: str, image: Any = None) -> None:
    """An audio player for generated speech."""
    arr = out["audio"]
    sr = int(out["sampling_rate"])
    st.audio(arr, sample_rate=sr)
    st.caption(_("{seconds} s at {rate} Hz").format(seconds=fmt.number(arr.size / sr, decimals=2), rate=fmt.number(sr)))


def embedding(out: dict, task: str, image: Any = None) -> None:
    """Dimension, norm and the vector's values."""
    c1, c2, c3 = st.columns(3)
    c1.metric(_("Dimensions"), fmt.number(out["dim"]))
    c2.metric(_("L2 norm"), fmt.number(out["norm"], decimals=3))
    c3.metric(_("Pooling"), out.get("pooling", "?"))
    vec = out.get("vector") or []
    df = pd.DataFrame({"dimension": range(len(vec)), "value": vec})
    chart = alt.Chart(df).mark_bar().encode(
        x=alt.X("dimension:Q", title=_("dimension")), y=alt.Y("value:Q", title=_("value")),
        color=alt.condition(alt.datum.value > 0, alt.value("#ff9d00"), alt.value("#1f77b4")),
        tooltip=[alt.Tooltip("dimension:Q", title=_("dimension")),
                 alt.Tooltip("value:Q", format=".4f", title=_("value"))])
    st.altair_chart(chart.properties(height=180), width="stretch", height=230)
    if vec:
        st.caption(_("First values: {values} …").format(values=", ".join(f"{v:+.4f}" for v in vec[:8])))


def similarity(out: dict, task: str, image: Any = None) -> None:
    """Cosine similarity of the source to each sentence, and the full heatmap."""
    df = pd.DataFrame({"sentence": out["sentences"], "similarity": out["scores"]})
    order = list(df.sort_values("similarity", ascending=False)["sentence"])
    bars = alt.Chart(df).mark_bar(cornerRadiusEnd=3, color="#ff9d00").encode(
        x=alt.X("similarity:Q", title=_("similarity"),
                scale=alt.Scale(domain=[min(0.0, float(df["similarity"].min())), 1.0])),
        y=alt.Y("sentence:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
        tooltip=[alt.Tooltip("sentence:N", title=_("sentence")),
                 alt.Tooltip("similarity:Q", format=".3f", title=_("similarity"))])
    h = max(90, 34 * len(df))
    st.altair_chart(bars.properties(height=h, title=_("Similarity to the source")), width="stretch", height=h + 120)
    labels, columns = heatmap_labels(out["labels"])
    cells = [{"a": labels[i], "b": labels[j], "column": columns[j], "cosine": v}
             for i, row in enumerate(out["matrix"]) for j, v in enumerate(row)]
    # rows carry the sentence, columns only its number: rotated sentences under the columns were cut short
    heat = alt.Chart(pd.DataFrame(cells)).mark_rect().encode(
        x=alt.X("column:N", sort=columns, title=None, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("a:N", sort=labels, title=None, axis=alt.Axis(labelLimit=HEATMAP_LABEL_PX)),
        tooltip=[alt.Tooltip("a:N", title=_("sentence")), alt.Tooltip("b:N", title=_("compared with")),
                 alt.Tooltip("cosine:Q", format=".3f", title=_("cosine"))])
    hh = 40 + 32 * len(labels)
    heat = heat.encode(color=alt.Color("cosine:Q", scale=alt.Scale(scheme="viridis"), title=_("cosine"),
                                       legend=alt.Legend(gradientLength=max(40, hh - 40))))  # no taller than the map
    st.altair_chart(heat.properties(height=hh, title=_("All pairs (cosine)")), width="stretch", height=hh + 80)


HEATMAP_LABEL_PX = 360  # room for a 60-character row label


def heatmap_labels(sentences: list[str], limit: int = 60) -> tuple[list[str], list[str]]:
    """Row labels ``"0: the sentence"`` (cut at ``limit`` characters, with an ellipsis) and column labels
    ``"0"``, ``"1"``…: unique even when sentences repeat."""
    rows = [f"{i}: {s if len(s) <= limit else s[:limit - 1] + '…'}" for i, s in enumerate(sentences)]
    return rows, [str(i) for i in range(len(sentences))]


def depth(out: dict, task: str, image: Any = None) -> None:
    """The input and its relative depth map (bright = near)."""
    pic = pictures.colorize_depth(out["depth"])
    if image is not None:
        pic = pic.resize(image.size)
        c1, c2 = st.columns(2)
        c1.image(image, caption=_("Input"), width="stretch")
        c2.image(pic, caption=_("Relative depth (bright = near)"), width="stretch")
    else:
        st.image(pic, caption=_("Relative depth (bright = near)"))


def answer(out: dict, task: str, image: Any = None) -> None:
    """The answer, and the context with the answer highlighted."""
    if not out.get("answer"):
        st.info(_("The model found no answer in the context."))
        return
    st.markdown(_("**Answer:** {answer}  \nscore {score}").format(answer=html.escape(out["answer"]),
                                                                  score=fmt.number(out.get("score", 0), decimals=3)))
    span = [{"start": out["start"], "end": out["end"], "label": _("answer")}]
    # i18n: HTML around the context and the answer
    st.markdown(f'<div style="line-height: 2.1">{pictures.highlight_spans(out["context"], span)}</div>',
                unsafe_allow_html=True)


def latency_text(seconds: float) -> str:
    """A latency in ms under 10 s (``85 ms``), else in seconds (``12.5 s``), in the UI's number style."""
    return fmt.number(seconds * 1000, decimals=0) + " ms" if seconds < 10 else fmt.number(seconds, decimals=1) + " s"


RENDERERS: dict[str, Callable[[dict, str, Any], None]] = {
    "scores": scores, "entities": entities, "boxes": boxes, "masks": masks, "text": text, "audio": audio,
    "embedding": embedding, "similarity": similarity, "depth": depth, "answer": answer,
}


def render(result, image: Any = None) -> None:
    """Draw ``result.output`` with the renderer the registry names."""
    fn = RENDERERS.get(result.renderer)
    if fn is None:
        st.json({k: str(v)[:200] for k, v in result.output.items()})
        return
    fn(result.output, result.task, image)
