# The gateway's image: `gateway serve`, configured by GATEWAY_* variables (see README.md).
# Build stage: install the package and its pinned dependencies into a virtualenv.
FROM python:3.11.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/gateway
WORKDIR /src
COPY constraints.txt pyproject.toml README.md ./
# gateway/job_specs links to ../job_specs: the default catalog ships inside the package too.
COPY job_specs ./job_specs
COPY gateway ./gateway
RUN /opt/gateway/bin/pip install --constraint constraints.txt .

# Runtime stage: the virtualenv and the operators' job specs, nothing to build with.
FROM python:3.11.11-slim-bookworm
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin gateway
COPY --from=build /opt/gateway /opt/gateway
COPY job_specs /etc/gateway/job_specs
ENV PATH=/opt/gateway/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GATEWAY_JOB_SPECS_DIR=/etc/gateway/job_specs
USER gateway
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["gateway", "serve"]
CMD ["--host", "0.0.0.0", "--port", "8000"]
