"""Alembic environment: runs on the connection Vocalis hands over (see `Database.migrate`)."""

from alembic import context
from sqlalchemy import create_engine

from vocalis.store.tables import Base

config = context.config
connection = config.attributes.get("connection")

if connection is None:
    # Plain `alembic` CLI use: connect to the URL given with `-x url=...`.
    url = context.get_x_argument(as_dictionary=True)["url"]
    with create_engine(url).connect() as own_connection:
        context.configure(connection=own_connection, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
