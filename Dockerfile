# The UPR coalition bot: runs as a non-root user; the SQLite database lives on a volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATABASE_PATH=/data/upr-bot.sqlite3

# FriBiDi lets Pillow shape Khmer in the results pictures (its Raqm layout loads it at run time).
RUN apt-get update && apt-get install -y --no-install-recommends libfribidi0 \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 bot \
    && mkdir /data && chown bot:bot /data

WORKDIR /app
COPY pyproject.toml README.md requirements.lock ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY locales ./locales
COPY data ./data
COPY bot.py ./
# Every dependency at its locked version, checked by hash; then the bot itself.
RUN pip install --no-cache-dir --require-hashes -r requirements.lock \
    && pip install --no-cache-dir --no-deps --no-build-isolation -e . \
    && chown -R root:root /app

USER bot
VOLUME ["/data"]
CMD ["python", "bot.py"]
