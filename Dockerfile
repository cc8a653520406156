# ChainMatch API image (used by docker-compose.yml with the Neo4j backend).
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md ./
COPY graph graph
COPY kernel kernel
COPY chains chains
COPY dossier dossier
COPY targets targets
COPY membership membership
COPY land land
COPY incentives incentives
COPY pipeline pipeline
COPY alerts alerts
COPY search search
COPY api api
COPY seed_data seed_data
RUN pip install --no-cache-dir .
RUN useradd --create-home chainmatch && mkdir -p /app/var && chown chainmatch /app/var
USER chainmatch
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --retries=5 CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/ready').status==200 else 1)"
CMD ["chainmatch", "serve", "--host", "0.0.0.0", "--port", "8000"]
