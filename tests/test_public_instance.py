"""Public-instance mode (issue 8, Deliver 1 and defects 1, 2, 12), against the Hub stand-in with HF_TOKEN set.

A visitor never gets a model's own code, "Load anyway", a server folder or a private repo, and never
starts a download over the cap — refused by the runner itself, not only hidden by the page. A signed-in
admin gets the limits lifted; local use keeps today's freedoms and warnings.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib import access as policy
from lib.local_models import NOT_A_MODEL_FOLDER
from lib.runner import api
from lib.runner.cache import ModelCache
from lib.runner.errors import LoadRefused, ModelUnavailable, RemoteCodeRefused, RunnerError
from lib.runner.result import RunOptions

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")
SERVER_TOKEN = "hf_serverSecretTokenForTests0123456789"
HUGE_ID = "hubscout-test/huge-405b-pickle"


# ---- fixtures ------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def fresh_caches():
    from lib.ui import cached

    cached.clear()
    yield
    cached.clear()


@pytest.fixture
def local(monkeypatch):
    for name in ("HUBSCOUT_PUBLIC", "SPACE_ID", "HUBSCOUT_ADMINS", "HUBSCOUT_MAX_DOWNLOAD_GB"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def public(local, hub_stub):
    """A public instance whose server has a Hub token (the documented Space deployment)."""
    local.setenv("HUBSCOUT_PUBLIC", "1")
    local.setenv("HF_TOKEN", SERVER_TOKEN)
    local.setenv("HUBSCOUT_ADMINS", "alice")
    hub_stub.allow_token(SERVER_TOKEN)
    return local


@pytest.fixture
def leaky_code_repo(hub_stub, tiny_model, tmp_path):
    """A repo whose own code raises an error carrying the server's HF_TOKEN (defect 1's attack)."""
    folder = tmp_path / "leaky"
    shutil.copytree(tiny_model("bert-sequence"), folder)
    cfg = json.loads((folder / "config.json").read_text())
    cfg["auto_map"] = {"AutoModelForSequenceClassification": "modeling_leak.Leak"}
    (folder / "config.json").write_text(json.dumps(cfg))
    (folder / "modeling_leak.py").write_text("import os\nraise RuntimeError(os.environ.get('HF_TOKEN'))\n")
    hub_stub.add_repo("hubscout-test/leaky-code", folder, info={"pipeline_tag": "text-classification"})
    return "hubscout-test/leaky-code"


@pytest.fixture
def huge_pickle_repo(hub_stub):
    """A 405B pickle-only repo: file sizes known (812 GB of .bin), no safetensors metadata, no files served."""
    shards = [{"rfilename": f"pytorch_model-{i:05d}-of-00100.bin", "size": 8_120_000_000} for i in range(1, 101)]
    hub_stub.add_model({"id": HUGE_ID, "pipeline_tag": "text-classification", "library_name": "transformers",
                        "tags": ["transformers", "pytorch"], "config": {"model_type": "bert"},
                        "siblings": [{"rfilename": "config.json", "size": 600}, *shards]})
    return HUGE_ID


@pytest.fixture
def private_repo(hub_stub, tiny_model):
    hub_stub.add_repo("hubscout-test/private-sentiment", tiny_model("bert-sequence"),
                      info={"pipeline_tag": "text-classification", "private": True})
    return "hubscout-test/private-sentiment"


def open_page(page: str, params: dict[str, str], user: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    if user is not None:
        at.user = user
    at.query_params.update(params)
    at.switch_page(page)
    return at.run()


def shown(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [a.value for a in (*at.error, *at.warning, *at.info, *at.success)]
    parts += [e.value for e in at.exception]
    return "\n".join(parts).replace("\\", "")


def checkbox_keys(at: AppTest) -> set[str]:
    return {c.key for c in at.checkbox if c.key}


ALICE = {"is_logged_in": True, "preferred_username": "alice", "name": "Alice"}


# ---- the sidebar ---------------------------------------------------------------------------------
def test_the_sidebar_says_public_and_what_is_limited(public):
    at = open_page("pages/3_Playground.py", {})
    assert not at.exception
    side = "\n".join(m.value for m in at.sidebar.markdown)
    assert "Public instance" in side and "no model code" in side and "Hub ids only" in side
    at = open_page("pages/3_Playground.py", {}, user=ALICE)
    side = "\n".join(m.value for m in at.sidebar.markdown)
    assert "Admin" in side and "lifted" in side


def test_sign_in_and_out_buttons_when_sign_in_is_configured(public):
    at = AppTest.from_file(APP, default_timeout=180)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
                          "client_id": "id", "client_secret": "secret",
                          "server_metadata_url": "https://huggingface.co/.well-known/openid-configuration"}
    at.switch_page("pages/3_Playground.py").run()
    assert not at.exception
    assert [b.label for b in at.sidebar.button] == ["Sign in (admins)"]
    at = open_page("pages/3_Playground.py", {}, user=ALICE)
    assert [b.label for b in at.sidebar.button] == ["Sign out"]
    at = open_page("pages/3_Playground.py", {})  # no sign-in configured: no button
    assert not at.sidebar.button


def test_local_use_shows_no_public_section(local):
    at = open_page("pages/3_Playground.py", {})
    assert not at.exception
    assert "Public instance" not in "\n".join(m.value for m in at.sidebar.markdown)


@pytest.mark.parametrize("user", [
    {"is_logged_in": False, "preferred_username": "alice"},  # signed out
    {"is_logged_in": True, "name": "alice"},  # a display name anyone can choose is not a user name
    {"is_logged_in": True, "preferred_username": "mallory"},
])
def test_only_a_signed_in_admin_by_user_name_lifts_the_limits(public, hub_stub, leaky_code_repo, user):
    at = open_page("pages/2_Model.py", {"model": leaky_code_repo}, user=user)
    assert not at.exception
    assert "td_trust" not in checkbox_keys(at)


# ---- defect 1: model code and "Load anyway" --------------------------------------------------------
def test_defect1_no_remote_code_checkbox_on_a_public_instance(public, leaky_code_repo):
    at = open_page("pages/2_Model.py", {"model": leaky_code_repo})
    assert not at.exception
    assert "td_trust" not in checkbox_keys(at)
    page = shown(at)
    assert "never runs a model's own code" in page and "needs its own code" in page
    at.button(key="td_run").click().run()
    assert not at.exception
    assert any(policy.REMOTE_CODE_OFF in e.value for e in at.error)  # not "tick the box": there is none
    page = shown(at)
    assert SERVER_TOKEN not in page
    assert "remote code must never run" not in page


def test_defect1_the_runner_refuses_model_code_by_itself(public, hub_stub, leaky_code_repo):
    hub_stub.reset()
    with pytest.raises(RemoteCodeRefused) as err:  # no Access passed: the instance's policy applies
        api.prepare(leaky_code_repo, "text-classification", RunOptions(trust_remote_code=True),
                    cache=ModelCache(budget_bytes=10**9))
    assert "never runs a model's own code" in str(err.value)
    assert SERVER_TOKEN not in str(err.value)
    assert not hub_stub.requests, "refused before asking the Hub anything"


def test_defect1_the_runner_refuses_a_fit_override(public):
    with pytest.raises(LoadRefused) as err:
        api.prepare("hubscout-test/anything", "text-classification", RunOptions(fit_override=True),
                    allowed=(True, "over the limit: loading anyway at your request"),
                    cache=ModelCache(budget_bytes=10**9))
    assert str(err.value) == policy.LOAD_ANYWAY_OFF


def test_defect1_no_load_anyway_for_a_model_that_does_not_fit(public, hub_stub):
    hub_stub.add_model({"id": "hubscout-test/huge-st", "pipeline_tag": "text-classification",
                        "library_name": "transformers", "config": {"model_type": "bert"},
                        "safetensors": {"parameters": {"BF16": 405_000_000_000}, "total": 405_000_000_000},
                        "siblings": [{"rfilename": "model.safetensors", "size": 810_000_000_000}]})
    at = open_page("pages/3_Playground.py", {"model": "hubscout-test/huge-st"})
    assert not at.exception
    assert any("Memory check" in w.value for w in at.warning)
    assert "pg_override" not in checkbox_keys(at)
    assert policy.LOAD_ANYWAY_OFF in shown(at)
    at = open_page("pages/3_Playground.py", {"model": "hubscout-test/huge-st"}, user=ALICE)
    assert "pg_override" in checkbox_keys(at)  # an admin may


def test_local_use_keeps_the_checkboxes_and_warnings(local, hub_stub, leaky_code_repo):
    at = open_page("pages/2_Model.py", {"model": leaky_code_repo})
    assert not at.exception
    assert "td_trust" in checkbox_keys(at)
    assert "tick the box only if you trust it" in shown(at)
    at.checkbox(key="td_trust").check().run()
    assert any("Remote code from the model repository will run" in w.value for w in at.warning)


def test_an_admin_may_tick_the_remote_code_box(public, leaky_code_repo):
    at = open_page("pages/2_Model.py", {"model": leaky_code_repo}, user=ALICE)
    assert not at.exception
    assert "td_trust" in checkbox_keys(at)


# ---- the download cap ----------------------------------------------------------------------------
def test_the_405b_pickle_only_repo_starts_no_download(public, hub_stub, huge_pickle_repo):
    hub_stub.reset()
    with pytest.raises(LoadRefused) as err:
        api.prepare(huge_pickle_repo, "text-classification", RunOptions(), cache=ModelCache(budget_bytes=10**9))
    msg = str(err.value)
    assert "812 GB" in msg and "capped at" in msg
    assert not [r for r in hub_stub.requests if ".bin" in r.path], "no weight was asked for"


@pytest.mark.parametrize("page,key", [("pages/3_Playground.py", "pg"), ("pages/2_Model.py", "td")])
def test_the_cap_is_shown_before_run_and_run_is_off(public, hub_stub, huge_pickle_repo, page, key):
    at = open_page(page, {"model": huge_pickle_repo, "task": "text-classification"})
    assert not at.exception
    assert any("Download cap" in w.value and "812 GB" in w.value and "capped at" in w.value
               for w in at.warning), shown(at)
    assert at.button(key=f"{key}_run").disabled
    assert not [r for r in hub_stub.requests if ".bin" in r.path]


def test_a_model_under_the_cap_has_run_on(public, hub_stub, tiny_model):
    hub_stub.add_repo("hubscout-test/small-sentiment", tiny_model("bert-sequence"),
                      info={"pipeline_tag": "text-classification"})
    at = open_page("pages/3_Playground.py", {"model": "hubscout-test/small-sentiment", "task": "text-classification"})
    assert not at.exception
    assert not any("Download cap" in w.value for w in at.warning)
    assert not at.button(key="pg_run").disabled


def test_an_explicit_cap_applies_locally_too(local, hub_stub, tiny_model):
    hub_stub.add_repo("hubscout-test/small-sentiment", tiny_model("bert-sequence"),
                      info={"pipeline_tag": "text-classification"})
    local.setenv("HUBSCOUT_MAX_DOWNLOAD_GB", "0.000001")  # 1 kB
    with pytest.raises(LoadRefused) as err:
        api.prepare("hubscout-test/small-sentiment", "text-classification", RunOptions(),
                    cache=ModelCache(budget_bytes=10**9))
    assert "HUBSCOUT_MAX_DOWNLOAD_GB" in str(err.value) and "1 kB" in str(err.value)


def test_a_model_under_the_cap_runs_on_a_public_instance(public, hub_stub, tiny_model):
    hub_stub.add_repo("hubscout-test/small-sentiment", tiny_model("bert-sequence"),
                      info={"pipeline_tag": "text-classification"})
    result = api.run("hubscout-test/small-sentiment", "text-classification", {"text": "I love it"},
                     RunOptions(device="cpu", dtype="fp32"), cache=ModelCache(budget_bytes=10**9))
    assert result.output


# ---- defect 2: private repos ---------------------------------------------------------------------
def _error_for(at: AppTest, model: str) -> str:
    assert not at.exception
    return "\n".join(e.value for e in at.error).replace(model, "<id>")


@pytest.mark.parametrize("page,key", [("pages/2_Model.py", "model"), ("pages/3_Playground.py", "model")])
def test_defect2_a_private_repo_is_not_found_for_visitors(public, hub_stub, private_repo, page, key):
    missing = "hubscout-test/no-such-model"
    shown_private = _error_for(open_page(page, {key: private_repo}), private_repo)
    shown_missing = _error_for(open_page(page, {key: missing}), missing)
    assert shown_private and shown_private == shown_missing  # no oracle of private names
    assert "private-sentiment" not in shown(open_page(page, {key: private_repo})).replace(
        f"No model {private_repo}", "")


def test_defect2_the_runner_refuses_a_private_repo(public, private_repo):
    with pytest.raises(ModelUnavailable) as err:
        api.run(private_repo, "text-classification", {"text": "hi"}, RunOptions(),
                cache=ModelCache(budget_bytes=10**9))
    assert err.value.kind == "not_found"
    assert "No model" in str(err.value)


def test_defect2_the_local_copy_of_a_private_repo_stays_private_when_the_hub_fails(local, hub_stub, private_repo):
    from lib.hub.facts import forget

    local.setenv("HF_TOKEN", SERVER_TOKEN)
    api.run(private_repo, "text-classification", {"text": "hi"}, RunOptions(device="cpu", dtype="fp32"),
            cache=ModelCache(budget_bytes=10**9))  # local use: downloaded into the Hub cache
    local.setenv("HUBSCOUT_PUBLIC", "1")
    forget()
    hub_stub.set_fault(500, f"/api/models/{private_repo}")
    with pytest.raises(ModelUnavailable) as err:
        api.prepare(private_repo, "text-classification", RunOptions(), cache=ModelCache(budget_bytes=10**9))
    assert err.value.kind == "not_found"


def test_defect2_after_a_restart_an_unconfirmed_local_copy_is_not_used_for_visitors(local, hub_stub, private_repo):
    """A private repo run locally (or by an admin) sits in the Hub cache; after a restart nothing in memory
    says it is private. While the Hub fails, a visitor gets no local copy that nothing confirms is public."""
    from lib.hub import gateway
    from lib.hub.facts import forget

    local.setenv("HF_TOKEN", SERVER_TOKEN)
    api.run(private_repo, "text-classification", {"text": "hi"}, RunOptions(device="cpu", dtype="fp32"),
            cache=ModelCache(budget_bytes=10**9))
    local.setenv("HUBSCOUT_PUBLIC", "1")
    local.setenv("HUBSCOUT_ADMINS", "alice")
    forget()
    local.setattr(gateway, "_SEEN_PRIVATE", set())  # a fresh process: nothing remembered
    local.setattr(gateway, "_SEEN_PUBLIC", set())
    hub_stub.set_fault(500, f"/api/models/{private_repo}")
    with pytest.raises(ModelUnavailable) as err:
        api.prepare(private_repo, "text-classification", RunOptions(), cache=ModelCache(budget_bytes=10**9))
    assert "confirm" in str(err.value) and "public" in str(err.value)
    at = open_page("pages/2_Model.py", {"model": private_repo})
    assert not at.exception and not at.header
    assert any("confirm" in e.value for e in at.error), shown(at)
    # an admin still gets the local copy
    at = open_page("pages/2_Model.py", {"model": private_repo}, user=ALICE)
    assert not at.exception and [h.value for h in at.header] == [private_repo]


def test_a_public_repo_seen_public_keeps_its_offline_view_for_visitors(public, hub_stub, tiny_model):
    hub_stub.add_repo("hubscout-test/public-cached", tiny_model("bert-sequence"),
                      info={"pipeline_tag": "text-classification"})
    api.run("hubscout-test/public-cached", "text-classification", {"text": "hi"},
            RunOptions(device="cpu", dtype="fp32"), cache=ModelCache(budget_bytes=10**9))
    from lib.hub.facts import forget

    forget()
    hub_stub.set_fault(500, "/api/models/hubscout-test/public-cached")
    prep = api.prepare("hubscout-test/public-cached", "text-classification", RunOptions(),
                       cache=ModelCache(budget_bytes=10**9))
    assert prep.loaded is not None


def test_defect2_a_gated_repo_the_token_accepted_still_works(public, hub_stub, tiny_model):
    hub_stub.add_repo("hubscout-test/gated-ok", tiny_model("bert-sequence"),
                      info={"pipeline_tag": "text-classification", "gated": "manual"})
    at = open_page("pages/2_Model.py", {"model": "hubscout-test/gated-ok"})
    assert not at.exception
    assert [h.value for h in at.header] == ["hubscout-test/gated-ok"]
    result = api.run("hubscout-test/gated-ok", "text-classification", {"text": "I love it"},
                     RunOptions(device="cpu", dtype="fp32"), cache=ModelCache(budget_bytes=10**9))
    assert result.output


def test_defect2_an_admin_sees_the_private_repo(public, private_repo):
    at = open_page("pages/2_Model.py", {"model": private_repo}, user=ALICE)
    assert not at.exception
    assert [h.value for h in at.header] == [private_repo]
    # and a visitor right after (details cached for the admin) still gets "not found"
    at = open_page("pages/2_Model.py", {"model": private_repo})
    assert at.error and not at.header


def test_defect2_listing_keeps_the_token_but_drops_private_repos(public, hub_stub, private_repo):
    from lib.hub.listing import list_models_page

    page = list_models_page([("search", "sentiment"), ("limit", "50")])
    ids = [m["id"] for m in page.items]
    assert private_repo not in ids
    auth = [r.headers.get("authorization") for r in hub_stub.requests_to("/api/models")]
    assert any(a and SERVER_TOKEN in a for a in auth), "listing still uses the server's token"


def test_defect2_discover_lists_no_private_repo_publicly(public, hub_stub, private_repo, tiny_model):
    hub_stub.add_repo("hubscout-test/public-sentiment", tiny_model("bert-sequence"),
                      info={"pipeline_tag": "text-classification"})
    public.setenv("HUBSCOUT_CATALOG", "live")
    at = open_page("pages/1_Discover.py", {"search": "sentiment"})
    assert not at.exception
    listed = "\n".join(str(v) for v in at.dataframe[0].value["Model"])
    assert "hubscout-test/public-sentiment" in listed and private_repo not in listed


def test_local_use_still_opens_private_repos_with_the_token(local, hub_stub, private_repo):
    local.setenv("HF_TOKEN", SERVER_TOKEN)
    at = open_page("pages/2_Model.py", {"model": private_repo})
    assert not at.exception and [h.value for h in at.header] == [private_repo]


# ---- defect 12: server paths in the Playground ---------------------------------------------------
PATHS = ["/root/.ssh", "/root/.nope", "~", "/usr", "/", "/proc", "./models", "../etc", "~root/.ssh",
         "C:\\Windows", "/etc/passwd"]


def test_defect12_public_playground_says_the_same_whatever_path(public, hub_stub):
    answers = set()
    for path in PATHS:
        at = open_page("pages/3_Playground.py", {"model": path})
        assert not at.exception, path
        answers.add("\n".join(e.value for e in at.error))
    assert answers == {policy.HUB_IDS_ONLY}
    assert not hub_stub.requests_to("/api/models/")


def test_defect12_the_runner_takes_no_server_folder_publicly(public, tiny_model):
    folder = str(tiny_model("bert-sequence"))
    with pytest.raises(ModelUnavailable) as err:
        api.prepare(folder, "text-classification", RunOptions(), cache=ModelCache(budget_bytes=10**9))
    assert str(err.value) == policy.HUB_IDS_ONLY


def test_defect12_local_playground_no_existence_oracle(local, tmp_path):
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "id_rsa").write_text("key")
    answers = []
    for path in (tmp_path / "secret", tmp_path / "nope", tmp_path / "secret" / "id_rsa"):
        at = open_page("pages/3_Playground.py", {"model": str(path)})
        assert not at.exception
        answers.append("\n".join(e.value for e in at.error))
    assert answers == [NOT_A_MODEL_FOLDER] * 3


@pytest.mark.parametrize("path", ["/", "/proc", "~", "/usr", "/root/.ssh"])
def test_defect12_the_runner_never_walks_a_tree_nor_crashes(local, path):
    t0 = time.perf_counter()
    with pytest.raises(RunnerError) as err:
        api.prepare(path, "text-classification", RunOptions(), cache=ModelCache(budget_bytes=10**9))
    assert time.perf_counter() - t0 < 2
    assert str(err.value) == NOT_A_MODEL_FOLDER


def test_defect12_a_huge_folder_with_a_config_is_refused_quickly(local, tmp_path):
    from lib import local_models

    root = tmp_path / "big"
    (root / "sub").mkdir(parents=True)
    (root / "config.json").write_text("{}")
    for i in range(local_models.MAX_FOLDER_FILES + 5):
        (root / "sub" / f"f{i}").touch()
    with pytest.raises(ModelUnavailable) as err:
        api.prepare(str(root), "text-classification", RunOptions(), cache=ModelCache(budget_bytes=10**9))
    assert "not a model folder" in str(err.value) and str(tmp_path) not in str(err.value)


def test_local_model_folders_still_run(local, tiny_model):
    result = api.run(str(tiny_model("bert-sequence")), "text-classification", {"text": "I love it"},
                     RunOptions(device="cpu", dtype="fp32"), cache=ModelCache(budget_bytes=10**9))
    assert result.output


def test_defect12_an_unreadable_subfolder_is_skipped_not_a_crash(local, tmp_path, monkeypatch):
    from lib import local_models

    root = tmp_path / "locked"
    (root / "inner").mkdir(parents=True)
    (root / "config.json").write_text("{}")
    (root / "inner" / "x").write_text("x")
    real = os.scandir

    def scandir(path):  # what /proc/1/cwd does to a non-root walker (and chmod 0 does not to root)
        if Path(path).name == "inner":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(local_models.os, "scandir", scandir)
    assert local_models.folder_files(root) == ["config.json"]
