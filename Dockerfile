# cgoguard with Go, gcc and the sanitizer runtimes, for `scan` and `run` in CI or on a laptop:
#
#   docker build -t cgoguard .
#   docker run --rm -v "$PWD:/src" cgoguard scan .
#   docker run --rm -v "$PWD:/src" cgoguard run --check all
#
# The golang image brings gcc and libc6-dev; Debian's gcc pulls in libasan, liblsan and
# libtsan (through libgcc-12-dev), which `go test -asan` and `-race` link against, and
# binutils' addr2line, which symbolizes sanitizer stacks. Python 3.11 is Debian 12's.
ARG GO_VERSION=1.26
FROM golang:${GO_VERSION}-bookworm

RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv \
    && rm -rf /var/lib/apt/lists/*

# Only what the package build needs (see .dockerignore), so that editing a test or a doc
# does not invalidate the install layer.
COPY pyproject.toml README.md LICENSE /opt/cgoguard/source/
COPY src /opt/cgoguard/source/src
RUN python3 -m venv /opt/cgoguard/venv \
    && /opt/cgoguard/venv/bin/python -m pip install --no-cache-dir --disable-pip-version-check \
        "/opt/cgoguard/source[plot]" \
    && rm -rf /opt/cgoguard/source \
    && /opt/cgoguard/venv/bin/cgoguard --version

ENV PATH=/opt/cgoguard/venv/bin:$PATH \
    GOFLAGS=-buildvcs=false
WORKDIR /src
ENTRYPOINT ["cgoguard"]
CMD ["scan", "."]
