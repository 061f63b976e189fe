# helploop: the Slack helpdesk bot. Build: docker build -t helploop .   Run: see README "Deploy".
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot bot
COPY handlers handlers
COPY kb kb
COPY storage storage
COPY wiring wiring
COPY cli cli
COPY localslack localslack
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 helploop
COPY --from=build /install /usr/local
USER helploop
WORKDIR /home/helploop
ENV PORT=3000 LOG_FORMAT=json PYTHONUNBUFFERED=1
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s \
  CMD python -c "import os,urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\",\"3000\")}/health', timeout=2)"
# helploop run stops gracefully on SIGTERM (docker stop): no new work, in-flight deliveries finished.
ENTRYPOINT ["helploop"]
CMD ["run"]
