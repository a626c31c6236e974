"""The Model page's "How fast" section, and Discover's optional "speed here" column (streamlit glue).

Everything shown comes from :mod:`lib.fit.speed_view` (estimates per host and dtype), this machine's
probe (:mod:`lib.fit.host_probe`, read from the store: never run here — the runtime warm-up runs it
once) and the measured speeds the test-drive recorded (:mod:`lib.jobs.speeds`).
"""
from __future__ import annotations

import streamlit as st

from lib.fit import hosts as host_table
from lib.fit import speed_view
from lib.fit.speed import ENCODER_TOKENS
from lib.format import md_escape

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

    st.subheader("How fast", anchor=False)
    here = this_host()
    table = speed_view.speed_table(spec, here, context_tokens=context, kv=kv, batch=batch)
    with st.container(key=P + "section"):
        if not table.estimates:
            st.warning("Speed cannot be estimated: " + md_escape(table.problem or "the model's size is unknown")
                       + ".", icon=":material/help:")
            return
        what = (f"prefill and decode tokens/s at a context of {context:,} tokens"
                + (f", batch {batch} (decode tokens/s per sequence)" if batch > 1 else " (one sequence)")
                if spec.is_generative and context else
                f"latency of one input of {ENCODER_TOKENS} tokens")
        st.caption(f"Estimated {what}, assuming the model fits on that host's device (see the fit table). "
                   "A roofline: decode is bound by memory bandwidth (weights + KV cache read per token), "
                   "prefill by matmul throughput, plus the framework's fixed cost per layer.")
        st.table(pd.DataFrame(table.rows()).rename(columns={"Host": "Speed on"}).set_index("Speed on"))
        if here is None:
            st.caption(":material/info: This machine's speed is not measured yet: a short probe (memory "
                       "bandwidth, matmul throughput) runs once when the runtime warms up (the Test-drive "
                       "section starts it); reload the page in a few seconds.")
        for n in table.notes():
            st.caption(f":material/info: {md_escape(n)}")
        runs = speeds.lookup(model_id)
        if runs:
            st.markdown("**Measured when this model ran here before**")
            st.dataframe(pd.DataFrame(speed_view.measured_rows(spec, runs, here)), hide_index=True,
                         key=P + "measured")
        with st.expander("Host figures and their sources", icon=":material/speed:"):
            rows = host_table.rows()
            if here is not None:
                rows.insert(0, {"Host": here.name, "Runs on": "GPU" if here.device == "cuda" else "CPU",
                                "Bandwidth (GB/s)": round(here.bandwidth / 1e9, 1),
                                "fp32 TFLOP/s": round(here.flops.get("fp32", 0) / 1e12, 3),
                                "bf16/fp16 TFLOP/s": round(here.flops.get("bf16", 0) / 1e12, 3),
                                "Note": here.note, "Source": here.source})
            st.dataframe(pd.DataFrame(rows), hide_index=True, key=P + "hosts",
                         column_config={"Source": st.column_config.LinkColumn("Source")})


def discover_column(records, enabled: bool) -> dict[str, str] | None:
    """``{model id: "12.3 tok/s"}`` for Discover's "Speed here" column (text-generation rows), or None when
    the column is off or this machine is not measured yet."""
    if not enabled:
        return None
    here = this_host()
    if here is None:
        st.caption(":material/info: *Speed here* needs this machine's speed figures: open a model's page once "
                   "(its test-drive warms the runtime up and measures them).")
        return None
    return {r.id: speed_view.discover_speed(r, here) for r in records}
