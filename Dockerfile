# The hpo-queue worker image: Celery worker (default CMD), Flower and the hpo-queue CLI.
#   docker build -t hpo-queue:local .
# Objectives live in /app/objectives, which is on PYTHONPATH; list their modules in
# HPO_OBJECTIVE_MODULES (the example: HPO_OBJECTIVE_MODULES=example_objective).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app/objectives

WORKDIR /app

# The package first, so editing an objective does not reinstall the dependencies.
# (Its dependencies include pymysql[rsa], for MySQL 8's default authentication.)
COPY pyproject.toml README.md ./
COPY hpo_queue ./hpo_queue
COPY workers ./workers
RUN pip install ".[flower]"

COPY examples/objectives/example_objective.py /app/objectives/example_objective.py

RUN useradd --create-home --uid 10001 --user-group hpo \
    && chown -R hpo:hpo /app
USER hpo

EXPOSE 5555
CMD ["celery", "-A", "workers", "worker", "--loglevel=INFO"]
