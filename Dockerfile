# mocksmooch as a service container for CI and docker-compose:
#   docker build -t mocksmooch:0.1.0 . && docker run --rm -p 8090:8090 mocksmooch:0.1.0
# tests/test_container.py reads this file and replays it without a Docker engine, so an
# instruction it does not know how to replay fails the tests instead of drifting.

# The official slim image, minor version pinned: rebuilds get patch releases only.
FROM python:3.12-slim

LABEL org.opencontainers.image.title="mocksmooch" \
      org.opencontainers.image.description="A test double of the Smooch / Sunshine Conversations API" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="MIT"

# No .pyc writes at run time (the image is read-only in spirit), logs reach `docker logs`
# as they happen, and no pip cache or version check baked into a layer.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed, numeric, unprivileged uid: a mounted seed file can be made readable to it, and
# Kubernetes' runAsNonRoot can verify it without resolving a user name.
RUN groupadd --system --gid 10001 mocksmooch \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin mocksmooch

# Only what the package build reads. mocksmooch/seeds is a symlink to ../fixtures, which
# COPY keeps as a link, so fixtures/ must land beside mocksmooch/.
COPY pyproject.toml README.md /src/
COPY fixtures/ /src/fixtures/
COPY mocksmooch/ /src/mocksmooch/

# A regular (not editable) install into its own venv, apart from the base image's packages.
RUN python -m venv /opt/mocksmooch \
 && /opt/mocksmooch/bin/pip install /src \
 && mkdir /state && chown 10001:10001 /state
ENV PATH=/opt/mocksmooch/bin:$PATH

# Configuration is by env only (README: "In CI and docker-compose"). Inside a container the
# server must listen on every interface; the package's own default stays loopback.
ENV MOCKSMOOCH_HOST=0.0.0.0 \
    MOCKSMOOCH_PORT=8090 \
    MOCKSMOOCH_LOG_FORMAT=text
EXPOSE 8090

USER 10001:10001

# The image's own Python asks the health route (slim has no curl). Exec form: no shell.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=3 \
    CMD ["mocksmooch", "healthcheck"]

# Exec form, so the server is PID 1 and receives SIGTERM itself: `mocksmooch serve` stops
# accepting, lets in-flight requests finish (up to 8 s, inside Docker's 10) and exits 0.
STOPSIGNAL SIGTERM
CMD ["mocksmooch", "serve"]
