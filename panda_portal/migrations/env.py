"""Alembic environment: the engine and metadata come from the Flask app (see shared.migrations)."""
from alembic import context

config = context.config
engine = config.attributes["engine"]
target_metadata = config.attributes["metadata"]


def run_migrations_online() -> None:
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
