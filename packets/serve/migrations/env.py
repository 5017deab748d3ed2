"""Alembic's environment: always given a connection by `packets.serve.db.upgrade` (never an ini file).

`render_as_batch` lets later migrations alter SQLite tables (SQLite's ALTER TABLE is small:
Alembic copies the table instead).
"""

from alembic import context

from packets.serve.db import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("open the database with packets.serve.db.open_database, which runs the migrations")

context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
