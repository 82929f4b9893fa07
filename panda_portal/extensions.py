"""Panda's extension objects, initialised by ``create_app``."""

from __future__ import annotations

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_mail import Mail
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from shared.database import NAMING_CONVENTION, Database


class PandaBase(DeclarativeBase):
    """Panda's declarative base: its own metadata, with the house constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


Base = PandaBase
db = Database(Base)
babel = Babel()
csrf = CSRFProtect()
mail = Mail()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
