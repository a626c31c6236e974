"""The Model page's "How fast" section, and Discover's optional "speed here" column (streamlit glue).

Everything shown comes from :mod:`lib.fit.speed_view` (estimates per host and dtype), this machine's
probe (:mod:`lib.fit.host_probe`, read from the store: never run here — the runtime warm-up runs it
once) and the measured speeds the test-drive recorded (:mod:`lib.jobs.speeds`).
"""
from __future__ import annotations

import streamlit as st

from lib import format as fmt
from lib.fit import hosts as host_table
from lib.fit import speed_view
from lib.fit.speed import ENCODER_TOKENS
from lib.format import md_escape
from lib.i18n import _

P = "m_speed_"


def this_host():
    """This machine's :class:`lib.fit.hosts.HostSpeed` from its stored probe, None when not measured yet."""
    from lib.fit import host_probe

    try:
        return host_probe.host_speed(host_probe.cached())
    except Exception:  # noqa: BLE001 - a broken store: no figures for this machine
        return None


def section(spec, context: int | None, model_id: str, kv: str = "auto", batch: int = 1) -> None:
    """Prefill and decode tokens/s (generative models) or latency per input (encoders) per host and dtype,
    at the chosen context, KV-cache precision and batch, with the speeds measured here beside their
    estimates. Speed uses the model's active parameters (a mixture of experts: ``spec.active_params``)."""
    import pandas as pd  # not at import: Discover imports this module and starts without pandas

    from lib.jobs import speeds

    st.subheader(_("How fast"), anchor=False)
    here = this_host()
    table = speed_view.speed_table(spec, here, context_tokens=context, kv=kv, batch=batch)
    with st.container(key=P + "section"):
        if not table.estimates:
            why = md_escape(_(table.problem) if table.problem else _("the model's size is unknown"))
            st.warning(_("Speed cannot be estimated: {why}.").format(why=why), icon=":material/help:")
            return
        if spec.is_generative and context:
            what = (_("Estimated prefill and decode tokens/s at a context of {n} tokens, batch {batch} (decode "
                      "tokens/s per sequence), assuming the model fits on that host's device (see the fit table).")
                    if batch > 1 else
                    _("Estimated prefill and decode tokens/s at a context of {n} tokens (one sequence), assuming "
                      "the model fits on that host's device (see the fit table)."))
        else:
            what = _("Estimated latency of one input of {tokens} tokens, assuming the model fits on that host's "
                     "device (see the fit table).")
        what = what.format(n=fmt.number(context), batch=fmt.number(batch), tokens=fmt.number(ENCODER_TOKENS))
        st.caption(what + " " + _("A roofline: decode is bound by memory bandwidth (weights + KV cache read per "
                                  "token), prefill by matmul throughput, plus the framework's fixed cost per layer."))
        df = pd.DataFrame(table.rows())
        first = _("Speed on")  # the host column, whatever lib.fit.speed_view calls it
        st.table(df.rename(columns={df.columns[0]: first}).set_index(first))
        if here is None:
            st.caption(_(":material/info: This machine's speed is not measured yet: a short probe (memory "
                         "bandwidth, matmul throughput) runs once when the runtime warms up (the Test-drive "
                         "section starts it); reload the page in a few seconds."))
        for n in table.notes():
            st.caption(f":material/info: {md_escape(_(n))}")
        runs = speeds.lookup(model_id)
        if runs:
            st.markdown("**" + _("Measured when this model ran here before") + "**")
            st.dataframe(pd.DataFrame(speed_view.measured_rows(spec, runs, here)), hide_index=True,
                         key=P + "measured")
        with st.expander(_("Host figures and their sources"), icon=":material/speed:"):
            rows = host_table.rows()
            columns = list(rows[0]) if rows else []  # lib.fit.hosts' column names, in its order
            if here is not None and len(columns) == 7:
                rows.insert(0, dict(zip(columns, (
                    here.name, "GPU" if here.device == "cuda" else "CPU", round(here.bandwidth / 1e9, 1),
                    round(here.flops.get("fp32", 0) / 1e12, 3), round(here.flops.get("bf16", 0) / 1e12, 3),
                    here.note, here.source), strict=True)))
            source = columns[-1] if columns else None
            st.dataframe(pd.DataFrame(rows), hide_index=True, key=P + "hosts",
                         column_config={source: st.column_config.LinkColumn(source)} if source else None)


def discover_column(records, enabled: bool) -> dict[str, str] | None:
    """``{model id: "12.3 tok/s"}`` for Discover's "Speed here" column (text-generation rows), or None when
    the column is off or this machine is not measured yet."""
    if not enabled:
        return None
    here = this_host()
    if here is None:
        st.caption(_(":material/info: *Speed here* needs this machine's speed figures: open a model's page once "
                     "(its test-drive warms the runtime up and measures them)."))
        return None
    return {r.id: speed_view.discover_speed(r, here) for r in records}
