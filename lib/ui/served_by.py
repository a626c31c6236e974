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
from lib.i18n import N_, _, ngettext

KEY = "m_providers"
_STATUS_HELP = N_("live: anyone with a token can call it; staging: only the model's owners; error: the provider "
                  "reported a problem")
#: the table's columns (their names are translated when the table is made; the statuses are the Hub's words)
COLUMNS = {"provider": N_("Provider"), "provider_id": N_("Provider id"), "status": N_("Status"), "task": N_("Task")}
_HUB_NOT_USED = "Hub not used: "  # i18n: the prefix lib.hub.offline gives its (cached, English) reason


def offline_reason(details: ModelDetails) -> str | None:
    """Why the page's details did not come from the Hub (then the providers are not asked), or None."""
    if details.source == "live":
        return None
    first = details.missing[0] if details.missing else N_("offline view")
    return _(first.removeprefix(_HUB_NOT_USED))


def rows(served: ServedBy) -> list[dict[str, str]]:
    """The table's rows: Provider, Provider id, Status, Task (``–`` where the Hub did not say), the column
    names in the UI's language (:data:`COLUMNS`)."""
    c = {k: _(v) for k, v in COLUMNS.items()}
    return [{c["provider"]: m.provider, c["provider_id"]: m.provider_id or "–", c["status"]: m.status or "–",
             c["task"]: m.task or "–"} for m in served.providers]


def section(details: ModelDetails) -> ServedBy:
    """Draw the section; returns what was found (the test-drive may offer the live providers)."""
    st.subheader(_("Served by inference providers"), anchor=False)
    served = served_by(details.id, offline_reason=offline_reason(details))
    with st.container(key=KEY):
        if not served.known:
            box = st.info if served.kind in ("offline", "unreachable", "timeout") else st.warning
            box(md_escape(served.problem or ""), icon=":material/cloud_off:")
        elif not served.providers:
            st.info(_("**Not served by any inference provider.** {model} runs only where its weights are: here "
                      "(the test-drive below) or on your own server.").format(model=md_escape(details.id)),
                    icon=":material/dns:")
        else:
            live, n = served.live, len(served.providers)
            if len(live) != n:
                line = ngettext("{n} provider lists this model, {live} live: it can run there without downloading "
                                "its weights (an HF token is needed).",
                                "{n} providers list this model, {live} live: it can run there without downloading "
                                "its weights (an HF token is needed).", n)
            else:
                line = ngettext("{n} provider lists this model: it can run there without downloading its weights "
                                "(an HF token is needed).",
                                "{n} providers list this model: it can run there without downloading its weights "
                                "(an HF token is needed).", n)
            st.caption(line.format(n=fmt.number(n), live=fmt.number(len(live))))
            status, provider_id = _(COLUMNS["status"]), _(COLUMNS["provider_id"])
            st.dataframe(pd.DataFrame(rows(served)), hide_index=True, width="stretch", key=KEY + "_table",
                         column_config={status: st.column_config.TextColumn(status, help=_(_STATUS_HELP)),
                                        provider_id: st.column_config.TextColumn(
                                            provider_id, help=_("The model's name on the provider's side"))})
    return served
