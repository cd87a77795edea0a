# BASE is any Debian bookworm image with python3, python3-venv and ca-certificates:
# python:3.11-slim by default;
# deploy/build-image.sh makes one from Debian's packages where that image cannot be pulled.
ARG BASE=python:3.11-slim

# Build stage: turn the project and its dependencies into wheels.
FROM ${BASE} AS build
WORKDIR /src
# A virtualenv, not the system pip: Debian's python3 refuses system-wide installs (PEP 668),
# and python:3.11-slim is happy either way.
COPY pyproject.toml README.md ./
COPY firefighter ./firefighter
COPY migrations ./migrations
# deploy/build-image.sh leaves the builder's CA bundle here when its network reaches the
# package index through a TLS-inspecting proxy; it stays in this stage only.
COPY deploy ./deploy
RUN if [ -f deploy/.build-ca.pem ]; then export PIP_CERT=/src/deploy/.build-ca.pem; fi \
    && python3 -m venv /opt/build \
    && /opt/build/bin/pip install --no-cache-dir --quiet wheel \
    && /opt/build/bin/pip wheel --no-cache-dir --quiet --wheel-dir /wheels .

# Runtime stage: only the installed wheels, a non-root user, no compilers.
FROM ${BASE}
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/firefighter/bin:$PATH \
    MPLCONFIGDIR=/tmp/matplotlib \
    HOME=/tmp \
    FIREFIGHTER_POSTMORTEM_DIR=/data/postmortems \
    DATABASE_URL=sqlite:////data/firefighter.db
COPY --from=build /wheels /wheels
RUN python3 -m venv /opt/firefighter \
    && /opt/firefighter/bin/pip install --no-cache-dir --quiet /wheels/*.whl \
    && /opt/firefighter/bin/pip uninstall --yes --quiet pip \
    && rm -rf /wheels \
    && useradd --no-create-home --home-dir /tmp --uid 10001 --user-group firefighter \
    && mkdir -p /data && chown 10001:10001 /data
# Numeric, so that Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
USER 10001:10001
WORKDIR /tmp
VOLUME /data
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python3", "-c", "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status == 200 else 1)"]
# The embedded default: apply migrations, then serve Slack and run the worker in-process.
# On Kubernetes the manifests run `db upgrade` as a Job and override the command.
CMD ["sh", "-c", "firefighter db upgrade && exec firefighter serve --host 0.0.0.0 --port 3000"]
