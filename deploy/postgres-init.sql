-- docker compose: the postgres service creates the "panda" database; the community gets its own.
CREATE DATABASE community;
