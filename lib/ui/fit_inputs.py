"""The Model page's estimate inputs beside the fit table: context length, KV-cache precision (lib.fit.kv)
and batch, each kept in the page's URL (``?model=…&ctx=4096&kv=fp8&batch=4``): a shared link reopens the
same estimate. A URL value that is not a choice is ignored (the default is used), never an error."""
from __future__ import annotations

import streamlit as st

from lib import format as fmt
from lib.fit import spec as fit_spec
from lib.fit.kv import KV_DTYPES, option_label, parse_batch, unsupported
from lib.format import md_escape
from lib.i18n import _

P = "m_"  # the Model page's widget key prefix (lib.ui.model_page.KEYS)
KEYS = {"ctx": P + "ctx", "kv": P + "kv", "batch": P + "batch"}
#: widget key -> URL param.
URL_PARAMS = {KEYS["ctx"]: "ctx", KEYS["kv"]: "kv", KEYS["batch"]: "batch"}


def _one_of(value, choices):
    return value if value in choices else None


def _seed(key: str, valid, default):
    """The widget's value on the page's first run: the URL's, when valid (``valid(text)`` -> value or None),
    else ``default``; later runs keep the widget's own state."""
    ss = st.session_state
    if key not in ss:
        url = st.query_params.get(URL_PARAMS[key])
        value = valid(url) if url is not None else None
        ss[key] = default if value is None else value


def _keep_in_url(key: str, default) -> None:
    """The URL follows the widget: its param set, or dropped at the default (short links)."""
    value, param = st.session_state.get(key), URL_PARAMS[key]
    text = None if value is None or value == default else str(value)
    if text is None:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != text:
        st.query_params[param] = text


def context_slider(details, spec) -> int | None:
    """The context-length slider, for models that generate (KV cache grows with it); kept in ``?ctx=``."""
    if not spec.is_generative:
        return None
    max_pos = spec.config.max_positions if spec.config is not None else None
    choices = fit_spec.context_choices(max_pos)
    if len(choices) == 1:
        st.caption(_("Context: {n} tokens (the model's maximum).").format(n=fmt.number(choices[0])))
        return choices[0]
    default = fit_spec.default_context(choices)
    _seed(KEYS["ctx"], lambda t: _one_of(parse_batch(t, 0, 1 << 20), choices), default)
    if st.session_state.get(KEYS["ctx"]) not in choices:
        st.session_state[KEYS["ctx"]] = default
    value = st.select_slider(
        _("Context length (prompt + generated tokens)"), options=choices, key=KEYS["ctx"],
        format_func=fmt.number,
        help=_("The KV cache and activations grow with it; the model supports up to {n}.").format(
            n=fmt.number(max_pos)) if max_pos else _("The KV cache and activations grow with it."),
    )
    _keep_in_url(KEYS["ctx"], default)
    return value


def kv_and_batch(spec) -> tuple[str, int]:
    """KV-cache precision (generative models) and batch, beside the context length; kept in ``?kv=`` and
    ``?batch=``. Precisions transformers cannot keep here are labelled so (lib.fit.kv)."""
    _seed(KEYS["batch"], lambda t: parse_batch(t, 0) or None, 1)
    kv = "auto"
    left, right = st.columns(2)
    if spec.is_generative:
        _seed(KEYS["kv"], lambda t: _one_of(str(t).strip().lower(), KV_DTYPES), "auto")
        with left:
            kv = st.selectbox(_("KV-cache precision"), KV_DTYPES, key=KEYS["kv"], format_func=option_label,
                              help=_("What each cached key and value element takes: the model's dtype (auto), or "
                                     "transformers' quantized cache (fp8 built in; int8 / int4 need the HQQ or "
                                     "quanto package)."))
        _keep_in_url(KEYS["kv"], "auto")
        why = unsupported(kv)
        if why:
            st.caption(_(":material/info: {why}: the estimate shows what it would take.").format(why=md_escape(why)))
    with right:
        batch = st.number_input(_("Batch (sequences at once)"), min_value=1, max_value=256, step=1,
                                key=KEYS["batch"], help=_("The KV cache and activations grow with it."))
    _keep_in_url(KEYS["batch"], 1)
    return kv, int(batch)


__all__ = ["KEYS", "URL_PARAMS", "context_slider", "kv_and_batch"]
