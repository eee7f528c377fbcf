# syntax=docker/dockerfile:1
# A static binary on distroless, running as a non-root user.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/healthcare ./cmd/healthcare

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/healthcare /usr/local/bin/healthcare
USER nonroot:nonroot
# The embedded database, if used, lives here; mount a volume on it.
WORKDIR /home/nonroot
ENV ADDR=0.0.0.0:8000 LOG_FORMAT=json
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=4s --retries=3 CMD ["/usr/local/bin/healthcare", "probe"]
ENTRYPOINT ["/usr/local/bin/healthcare"]
CMD ["serve"]
