"""Output pictures: boxes and masks drawn on the input image, a depth map in colour, highlighted text
spans; a stable colour per label. PIL / numpy only (imported inside the functions)."""
from __future__ import annotations

import html

# i18n: file: HTML markup and colours around a model's own output, no text of its own

PALETTE = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240),
           (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128), (170, 110, 40), (128, 0, 0)]


def label_color(label: str, labels: list[str]) -> tuple[int, int, int]:
    """A stable colour per label (position in ``labels``)."""
    i = labels.index(label) if label in labels else abs(hash(label))
    return PALETTE[i % len(PALETTE)]


def hex_color(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def draw_boxes(image, boxes: list[dict]):
    """A copy of ``image`` with each box drawn and labelled ``label score``."""
    from PIL import ImageDraw

    img = image.convert("RGB").copy()
    d = ImageDraw.Draw(img)
    labels = list(dict.fromkeys(b["label"] for b in boxes))
    width = max(2, round(min(img.size) / 160))
    for b in boxes:
        color = label_color(b["label"], labels)
        d.rectangle([b["xmin"], b["ymin"], b["xmax"], b["ymax"]], outline=color, width=width)
        text = f"{b['label']} {b['score']:.2f}"
        tx, ty = b["xmin"] + width, max(b["ymin"] - 12, 0)
        bbox = d.textbbox((tx, ty), text)
        d.rectangle(bbox, fill=color)
        d.text((tx, ty), text, fill=(255, 255, 255))
    return img


def overlay_masks(image, masks: list[dict], alpha: float = 0.5):
    """``image`` with each boolean mask tinted in its label's colour."""
    import numpy as np
    from PIL import Image

    base = np.asarray(image.convert("RGB"), dtype=np.float32)
    out = base.copy()
    labels = list(dict.fromkeys(m["label"] for m in masks))
    for m in masks:
        mask = np.asarray(m["mask"], dtype=bool)
        if mask.shape != base.shape[:2]:
            mask = np.asarray(Image.fromarray(mask.astype("uint8") * 255).resize(
                (base.shape[1], base.shape[0]), Image.NEAREST)) > 0
        color = np.array(label_color(m["label"], labels), dtype=np.float32)
        out[mask] = (1 - alpha) * out[mask] + alpha * color
    return Image.fromarray(out.clip(0, 255).astype("uint8"))


_DEPTH_STOPS = [(0.0, (13, 8, 135)), (0.25, (126, 3, 168)), (0.5, (204, 71, 120)), (0.75, (248, 149, 64)),
                (1.0, (240, 249, 33))]  # plasma-like: far = dark blue, near = yellow


def colorize_depth(depth):
    """Relative depth (HxW floats) -> an RGB PIL image (near = bright)."""
    import numpy as np
    from PIL import Image

    d = np.asarray(depth, dtype=np.float32)
    d = np.squeeze(d)
    lo, hi = float(np.nanmin(d)), float(np.nanmax(d))
    t = (d - lo) / (hi - lo) if hi > lo else np.zeros_like(d)
    xs = [s[0] for s in _DEPTH_STOPS]
    rgb = np.stack([np.interp(t, xs, [s[1][c] for s in _DEPTH_STOPS]) for c in range(3)], axis=-1)
    return Image.fromarray(rgb.astype("uint8"))


def highlight_spans(text: str, spans: list[dict], labels: list[str] | None = None) -> str:
    """HTML of ``text`` with each ``{start, end, label}`` span marked in its label's colour (escaped)."""
    spans = sorted((s for s in spans if s.get("start") is not None and s.get("end") is not None),
                   key=lambda s: s["start"])
    labels = labels or list(dict.fromkeys(s.get("label", "") for s in spans))
    out, pos = [], 0
    for s in spans:
        start, end = int(s["start"]), int(s["end"])
        if start < pos or end <= start:
            continue
        out.append(html.escape(text[pos:start]))
        r, g, b = label_color(s.get("label", ""), labels)
        tag = html.escape(str(s.get("label", "")))
        out.append(f'<mark style="background: rgba({r},{g},{b},0.25); border-bottom: 2px solid rgb({r},{g},{b}); '
                   f'padding: 0 2px; border-radius: 3px">{html.escape(text[start:end])}'
                   + (f' <sup style="font-size: 0.7em; color: rgb({r},{g},{b})">{tag}</sup>' if tag else "")
                   + "</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)
