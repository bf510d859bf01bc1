# The stream worker image used by docker-compose.yml (and ops/k8s later).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY streams ./streams
RUN pip install --upgrade pip && pip install .

# Faust tables (rocksdict) keep their local state here; mount a volume to keep it across restarts.
ENV STREAMS_DATA_DIR=/var/lib/streams STREAMS_WEB_HOST=0.0.0.0 STREAMS_WEB_PORT=6066
RUN useradd --system --uid 10001 streams && mkdir -p /var/lib/streams && chown streams /var/lib/streams
USER streams
EXPOSE 6066
ENTRYPOINT ["python", "-m", "streams"]
CMD ["worker"]
