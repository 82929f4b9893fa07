"""The shape of the case forms and of the lists' query strings (rules live in the services)."""
from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from support_community.cases.labels import SEVERITY_LABELS, SEVERITY_ORDER, STATUS_LABELS, STATUS_ORDER
from support_community.cases.models import OPEN_STATUSES, Category, Product, Severity
from support_community.cases.services.attachments import Upload
from support_community.cases.services.creating import BODY_MAX, SUBJECT_MAX
from support_community.cases.services.listing import DIRECTIONS, MAX_PAGE, QUERY_MAX, SORTS, CaseFilters


def severity_choices() -> list[tuple[str, str]]:
    return [(s.value, str(SEVERITY_LABELS[s])) for s in SEVERITY_ORDER]


class NewCaseForm(FlaskForm):
    # Choices are data (products, categories): set by ``set_catalog_choices``; the service
    # checks that the category belongs to the product.
    product = SelectField(_l("Product"), validate_choice=False, validators=[DataRequired()])
    category = SelectField(_l("Category"), validate_choice=False)
    severity = SelectField(_l("Severity"), default=Severity.NORMAL.value, validate_choice=False)
    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=SUBJECT_MAX)])
    description = TextAreaField(_l("Description"), validators=[DataRequired(), Length(max=BODY_MAX)])
    attachments = MultipleFileField(_l("Attachments"))

    def set_choices(self, products: list[Product], categories: list[Category], language: str) -> None:
        """The template groups the categories under their product; the service checks the pair."""
        names = {p.key: p.name(language) for p in products}
        self.product.choices = [("", str(_l("Choose a product")))] + list(names.items())
        self.category.choices = [("", str(_l("Choose a category")))] + [
            (str(c.id), f"{names.get(c.product_key, c.product_key)}: {c.name(language)}") for c in categories]
        self.severity.choices = severity_choices()


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Your reply"), validators=[DataRequired(), Length(max=BODY_MAX)])
    attachments = MultipleFileField(_l("Attachments"))


class AttachForm(FlaskForm):
    files = MultipleFileField(_l("Files"))


class CloseForm(FlaskForm):
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=BODY_MAX)])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


def uploads(field: MultipleFileField) -> list[Upload]:
    """The files a multiple file input sent (a browser sends one empty entry when none was chosen)."""
    return [Upload(filename=item.filename or "", stream=item.stream)
            for item in (field.data or []) if item is not None and getattr(item, "filename", None)]


def category_id(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except (TypeError, ValueError):
        return None


# -- the lists' query strings -------------------------------------------------------------------
def _one_of(value: str | None, allowed: set[str] | tuple[str, ...], default: str = "") -> str:
    return value if value in allowed else default


def _page(raw: str | None) -> int:
    try:
        return min(max(int(raw or 1), 1), MAX_PAGE)
    except ValueError:
        return 1


def status_filter_choices(*, open_only: bool = False) -> list[tuple[str, str]]:
    statuses = [s for s in STATUS_ORDER if not open_only or s in OPEN_STATUSES]
    first = [("", str(_l("All open cases")))] if open_only else [("", str(_l("All statuses"))),
                                                                  ("open", str(_l("Open (not solved or closed)")))]
    return first + [(s.value, str(STATUS_LABELS[s])) for s in statuses]


def case_filters(args: Mapping[str, str], *, across: bool = False) -> CaseFilters:
    """The list's filters from the query string; anything unknown is ignored, never an error."""
    statuses = {value for value, _ in status_filter_choices(open_only=across)}
    return CaseFilters(
        status=_one_of(args.get("status"), statuses),
        severity=_one_of(args.get("severity"), {s.value for s in Severity}),
        product="" if across else (args.get("product") or "")[:64],
        opener="" if across else (args.get("opener") or "")[:64],
        q="" if across else " ".join((args.get("q") or "").split())[:QUERY_MAX],
        sort="activity" if across else _one_of(args.get("sort"), SORTS, "activity"),
        direction="desc" if across else _one_of(args.get("direction"), DIRECTIONS, "desc"),
        page=_page(args.get("page")),
        organization=(args.get("org") or "").strip()[:100] if across else "",
    )
