"""The Model page's "Served by inference providers" section: which Inference Providers run the model.

The facts come from :func:`lib.hub.lookup.served_by` (the Hub's ``inferenceProviderMapping`` through the
gateway, cached per process with the model's other facts): a table of provider / provider id / status /
task, or "not served by any provider". An offline view asks the Hub nothing and says it needs it.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from lib import format as fmt
from lib.format import md_escape
from lib.hub.details import ModelDetails
from lib.hub.lookup import ServedBy, served_by
from lib.i18n import ngettext

KEY = "m_providers"
_STATUS_HELP = ("live: anyone with a token can call it; staging: only the model's owners; error: the provider "
                "reported a problem")


def offline_reason(details: ModelDetails) -> str | None:
    """Why the page's details did not come from the Hub (then the providers are not asked), or None."""
    if details.source == "live":
        return None
    first = details.missing[0] if details.missing else "offline view"
    return first.removeprefix("Hub not used: ")


def rows(served: ServedBy) -> list[dict[str, str]]:
    """The table's rows: Provider, Provider id, Status, Task (``–`` where the Hub did not say)."""
    return [{"Provider": m.provider, "Provider id": m.provider_id or "–", "Status": m.status or "–",
             "Task": m.task or "–"} for m in served.providers]


def section(details: ModelDetails) -> ServedBy:
    """Draw the section; returns what was found (the test-drive may offer the live providers)."""
    st.subheader("Served by inference providers", anchor=False)
    served = served_by(details.id, offline_reason=offline_reason(details))
    with st.container(key=KEY):
        if not served.known:
            box = st.info if served.kind in ("offline", "unreachable", "timeout") else st.warning
            box(md_escape(served.problem or ""), icon=":material/cloud_off:")
        elif not served.providers:
            st.info(f"**Not served by any inference provider.** {md_escape(details.id)} runs only where its "
                    "weights are: here (the test-drive below) or on your own server.", icon=":material/dns:")
        else:
            live = served.live
            st.caption(ngettext("{n} provider lists this model", "{n} providers list this model",
                                len(served.providers)).format(n=fmt.number(len(served.providers)))
                       + (f", {len(live)} live" if len(live) != len(served.providers) else "")
                       + ": it can run there without downloading its weights (an HF token is needed).")
            st.dataframe(pd.DataFrame(rows(served)), hide_index=True, width="stretch", key=KEY + "_table",
                         column_config={"Status": st.column_config.TextColumn("Status", help=_STATUS_HELP),
                                        "Provider id": st.column_config.TextColumn(
                                            "Provider id", help="The model's name on the provider's side")})
    return served
