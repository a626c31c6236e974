"""Local models: what is in the Hugging Face cache and the configured model folders; download, delete."""
import streamlit as st

from lib.i18n import _
from lib.local.inventory import visible
from lib.settings import get_settings
from lib.ui import cached
from lib.ui import local_models_page as ui
from lib.ui.frame import page_frame

frame = page_frame("Local models", ":material/hard_drive:")  # i18n: the page's key, page_frame translates it
st.title(_("Local models"))
st.caption(_("Models on this machine: size, revisions, task, whether they run offline and fit here."))

ui.download_section(frame.hardware, frame.access)
rows = visible(cached.local_inventory(frame.hardware))  # a public instance names no private repo
ui.cache_section([r for r in rows if r.source == "cache"], frame.hardware, frame.access)
ui.folders_section([r for r in rows if r.source == "folder"], bool(get_settings().model_dirs))
