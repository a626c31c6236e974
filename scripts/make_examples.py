"""Regenerate the test-drive example files in lib/data/examples/ (all synthetic, made here).

* ``scene.png``: a drawn street scene (sky, sun, house, tree, road, a red car) — PIL shapes.
* ``document.png``: a drawn one-page invoice (typed text in PIL's default font).
* ``chirp.wav``: 2 s, 16 kHz mono: a 440 Hz tone, then a 300 → 3000 Hz chirp — synthesised, not speech.

Run: ``.venv/bin/python scripts/make_examples.py``.
"""
from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parents[1] / "lib" / "data" / "examples"


def scene(path: Path) -> None:
    w, h = 480, 320
    img = Image.new("RGB", (w, h), (135, 190, 235))
    d = ImageDraw.Draw(img)
    for y in range(0, 200):  # sky gradient
        c = (135 + y // 4, 190 + y // 8, 235)
        d.line([(0, y), (w, y)], fill=c)
    d.ellipse([380, 30, 440, 90], fill=(255, 214, 64))  # sun
    d.rectangle([0, 200, w, h], fill=(92, 160, 72))  # grass
    d.rectangle([0, 250, w, 300], fill=(90, 90, 96))  # road
    for x in range(10, w, 60):
        d.rectangle([x, 272, x + 30, 277], fill=(240, 240, 240))
    d.rectangle([60, 120, 200, 220], fill=(200, 120, 80))  # house
    d.polygon([(50, 122), (130, 60), (210, 122)], fill=(150, 50, 40))
    d.rectangle([115, 170, 145, 220], fill=(90, 60, 40))
    d.rectangle([78, 140, 104, 164], fill=(220, 240, 255))
    d.rectangle([156, 140, 182, 164], fill=(220, 240, 255))
    d.rectangle([290, 150, 306, 230], fill=(110, 75, 40))  # tree
    d.ellipse([255, 90, 340, 175], fill=(40, 120, 50))
    d.rounded_rectangle([300, 240, 420, 278], radius=8, fill=(200, 30, 40))  # car
    d.polygon([(322, 240), (338, 220), (382, 220), (398, 240)], fill=(170, 25, 35))
    d.polygon([(330, 240), (342, 225), (358, 225), (358, 240)], fill=(200, 230, 250))
    d.polygon([(364, 240), (364, 225), (378, 225), (390, 240)], fill=(200, 230, 250))
    for cx in (325, 395):
        d.ellipse([cx - 13, 266, cx + 13, 292], fill=(25, 25, 25))
        d.ellipse([cx - 5, 274, cx + 5, 284], fill=(160, 160, 160))
    img.save(path, optimize=True)


def document(path: Path) -> None:
    img = Image.new("RGB", (420, 300), "white")
    d = ImageDraw.Draw(img)
    try:
        font = ImageFont.load_default(size=16)
        big = ImageFont.load_default(size=26)
    except TypeError:  # Pillow < 10.1
        font = big = ImageFont.load_default()
    d.text((24, 18), "INVOICE", fill="black", font=big)
    d.text((260, 26), "No. 2026-117", fill="black", font=font)
    d.text((24, 64), "Date: 12 March 2026", fill="black", font=font)
    d.text((24, 86), "Bill to: Hub Scout Ltd", fill="black", font=font)
    d.line([(24, 118), (396, 118)], fill="black", width=2)
    rows = [("Coffee beans, 2 kg", "$30.00"), ("Paper filters", "$4.50"), ("Delivery", "$7.50")]
    for i, (item, price) in enumerate(rows):
        y = 130 + 26 * i
        d.text((24, y), item, fill="black", font=font)
        d.text((320, y), price, fill="black", font=font)
    d.line([(24, 214), (396, 214)], fill="black", width=1)
    d.text((24, 226), "Total", fill="black", font=big)
    d.text((300, 230), "$42.00", fill="black", font=big)
    img.save(path, optimize=True)


def chirp(path: Path, rate: int = 16000, seconds: float = 2.0) -> None:
    n = int(rate * seconds)
    half = n // 2
    samples = []
    for i in range(n):
        t = i / rate
        if i < half:
            v = 0.4 * math.sin(2 * math.pi * 440 * t)
        else:
            t2 = (i - half) / rate
            f0, f1, dur = 300.0, 3000.0, seconds / 2
            phase = 2 * math.pi * (f0 * t2 + (f1 - f0) * t2 * t2 / (2 * dur))
            v = 0.4 * math.sin(phase)
        fade = min(1.0, i / 400, (n - i) / 400)
        samples.append(int(max(-1.0, min(1.0, v * fade)) * 32767))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack(f"<{n}h", *samples))


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    scene(OUT / "scene.png")
    document(OUT / "document.png")
    chirp(OUT / "chirp.wav")
    for p in sorted(OUT.iterdir()):
        print(p.name, p.stat().st_size)
