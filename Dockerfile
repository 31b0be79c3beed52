# syntax=docker/dockerfile:1
# A small static image of trailgate: the binary, CA certificates and nothing else.
#   docker build -t trailgate .
#   docker run --rm -v "$PWD:/work" trailgate scan trails/
# See docs/ci.md#container-image. tests/container.rs checks this file against the repository.

# Build stage: Alpine's Rust targets musl, so the binary is statically linked.
FROM rust:1-alpine AS build
RUN apk add --no-cache build-base ca-certificates
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src src
COPY rules rules
COPY benches benches
RUN cargo build --release --locked --bin trailgate \
 && cp target/release/trailgate /trailgate \
 && /trailgate rules validate

# Run stage: no shell, no package manager; a non-root user.
FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /trailgate /usr/local/bin/trailgate
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/trailgate"]
CMD ["--help"]
