# Hub Scout as a Hugging Face Docker Space (the Streamlit SDK is deprecated: Streamlit apps are Docker
# Spaces). The Space runs this image as uid 1000 and sends traffic to app_port 8501 (README front matter).
FROM python:3.11-slim

# The Space's user: uid 1000, with a home for the Hub cache and Hub Scout's data directory.
RUN useradd --create-home --uid 1000 user
USER 1000
ENV HOME=/home/user \
    PATH=/home/user/.local/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR $HOME/app

# torch's CPU build first (the default wheel on PyPI pulls the CUDA libraries: gigabytes a CPU Space never
# uses), then the rest of the exact pins.
COPY --chown=user requirements.txt .
RUN pip install --user --index-url https://download.pytorch.org/whl/cpu "torch==$(sed -n 's/^torch==//p' requirements.txt)" \
    && pip install --user -r requirements.txt

COPY --chown=user . .
# The Spanish message catalogue, compiled (without it the app compiles the .po in memory at start), and lib/'s
# byte code (the first page run would compile ~100 modules).
RUN python -m lib.i18n && python -m compileall -q lib

EXPOSE 8501
HEALTHCHECK CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://localhost:8501/_stcore/health', timeout=5)"]

# XSRF protection off: the Space shows the app inside an iframe, where file uploads otherwise fail.
CMD ["python", "-m", "streamlit", "run", "streamlit_app.py", "--server.port=8501", "--server.address=0.0.0.0", "--server.enableXsrfProtection=false"]
