# statusgate as a container: a static binary on a distroless base, running as a
# non-root user, keeping its SQLite database and secret key in the /data volume.
#   docker build -t statusgate --build-arg VERSION=$(git describe --tags --always) .
#   docker run -p 8080:8080 -v statusgate-data:/data statusgate
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/statusgate ./cmd/statusgate \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/statusgate /usr/local/bin/statusgate
# The volume's folder belongs to the image's non-root user, so a fresh named volume
# is writable without a chown step.
COPY --from=build --chown=65532:65532 /out/data /data
ENV STATUSGATE_DATA_DIR=/data
ENV STATUSGATE_LISTEN=:8080
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/usr/local/bin/statusgate", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/statusgate"]
CMD ["serve"]
