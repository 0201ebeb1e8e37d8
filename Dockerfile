# Multi-stage build: compile in the Rust image, run in a slim Debian with only the C libraries
# the binary links (libpq, SQLite), as a non-root user, with the data directory as a volume.
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev libsqlite3-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so that code changes do not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo build --release && rm -rf src
COPY src src
COPY migrations migrations
COPY data/demo data/demo
COPY openapi.yaml ./
RUN touch src/main.rs src/lib.rs && cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 libsqlite3-0 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin booking \
    && mkdir /data && chown booking /data
COPY --from=build /src/target/release/instrument-booking /usr/local/bin/instrument-booking
USER booking
ENV DATA_DIR=/data BIND=0.0.0.0:8080 RUST_LOG=info
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD curl -fs http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["instrument-booking"]
CMD ["serve"]
