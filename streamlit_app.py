"""Hub Scout home page (and the entry script: `streamlit run streamlit_app.py`)."""
import streamlit as st

from lib import format as fmt
from lib.i18n import _
from lib.ui import cached, links
from lib.ui.frame import hardware_lines, page_frame

frame = page_frame("Home", ":material/travel_explore:")

st.title("Hub Scout")  # i18n: product name
st.markdown(
    _("Hub Scout helps you pick a model from the Hugging Face Hub: find models by task, size and "
      "popularity, and see whether they fit the machine you have. "
      "Then open a model for its facts, exact parameter count, memory estimate and the code to use it.")
)

with st.form("quick_search", border=False):
    left, right = st.columns([5, 1], vertical_alignment="bottom")
    text = left.text_input(_("Search models"), placeholder=_("e.g. bert, qwen, whisper, sentiment"),
                           key="home_search")
    go = right.form_submit_button(_("Search"), type="primary", icon=":material/search:",
                                  width="stretch")
if go:
    links.go_discover(text)

st.subheader(_("Pages"))
links.page_links()

left, right = st.columns(2)
with left:
    st.subheader(_("Catalog"))
    info, n = cached.snapshot_info()
    st.markdown(
        {
            "auto": _("**Auto**: the live Hub, falling back to the snapshot when it does not answer."),
            "live": _("**Live only**: every search asks the Hub."),
            "snapshot": _("**Snapshot only**: searches never touch the network."),
        }[frame.mode]
    )
    st.caption(_("Snapshot: {label}, {n} models").format(label=info.label, n=fmt.number(n))
               + ((" · " + _("sources: {sources}").format(sources="; ".join(info.sources))) if info.sources else ""))
with right:
    st.subheader(_("This machine"))
    st.markdown(hardware_lines(frame.hardware))
