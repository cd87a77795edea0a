# syntax=docker/dockerfile:1
# Build stage: turn the project and its dependencies into wheels.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY firefighter ./firefighter
COPY migrations ./migrations
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Runtime stage: only the wheels, a non-root user, no compilers.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    FIREFIGHTER_POSTMORTEM_DIR=/data/postmortems \
    DATABASE_URL=sqlite:////data/firefighter.db
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --create-home --uid 10001 firefighter \
    && mkdir -p /data && chown firefighter /data
USER firefighter
WORKDIR /home/firefighter
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status == 200 else 1)"
# Apply migrations, then serve Slack requests and run the outbox worker in-process.
CMD ["sh", "-c", "firefighter db upgrade && exec firefighter serve --host 0.0.0.0 --port 3000"]
