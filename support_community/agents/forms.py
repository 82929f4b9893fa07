"""The agent workspace's forms: input shape and their choices (the rules live in the cases services)."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    Form,
    HiddenField,
    MultipleFileField,
    SearchField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from support_community.cases.forms.choices import severity_choices, status_choices
from support_community.cases.labels import STATUS_ORDER, status_label
from support_community.cases.models import Person, Product, Status
from support_community.cases.services.creating import BODY_MAX


def _agent_choices(agents: Iterable[Person]) -> list[tuple[str, str]]:
    return [(agent.sub, agent.name) for agent in agents]


class QueueFilterForm(Form):
    """The queue's filters: a GET form (bookmarkable), so without a CSRF token."""

    status = SelectField(_l("Status"), validate_choice=False)
    severity = SelectField(_l("Severity"), validate_choice=False)
    product = SelectField(_l("Product"), validate_choice=False)
    organization = StringField(_l("Organization (name or id)"), validators=[Optional(), Length(max=200)])
    assignee = SelectField(_l("Assigned to"), validate_choice=False)
    sort = SelectField(_l("Sort by"), validate_choice=False)
    sla = SelectField(_l("Service level"), validate_choice=False)
    q = SearchField(_l("Search cases"), validators=[Optional(), Length(max=200)])

    def set_choices(self, agents: Iterable[Person], products: Iterable[Product], language: str) -> None:
        self.status.choices = [("open", _("Open cases")), ("all", _("All cases"))] + status_choices(STATUS_ORDER)
        self.severity.choices = [("", _("Any severity"))] + severity_choices()
        self.product.choices = [("", _("Any product"))] + [(p.key, p.name(language)) for p in products]
        self.assignee.choices = [
            ("me_or_unassigned", _("Me or nobody")),
            ("me", _("Me")),
            ("unassigned", _("Nobody (unassigned)")),
            ("any", _("Anyone")),
        ] + _agent_choices(agents)
        self.sort.choices = [("activity", _("Last activity")), ("severity", _("Severity")), ("due", _("Due first"))]
        self.sla.choices = [("", _("Any")), ("breaching", _("Breaching SLA: overdue or due soon"))]


def _status_after_choices(case_status: Status, allowed: Iterable[Status]) -> list[tuple[str, str]]:
    return [("", _("Keep “%(status)s”", status=status_label(case_status)))] + status_choices(allowed)


class ReplyForm(FlaskForm):
    """A reply to the customer (mailed), optionally moving the case to another status in the same step."""

    body = TextAreaField(_l("Message"), validators=[DataRequired(_l("Write a message first.")), Length(max=BODY_MAX)])
    attachments = MultipleFileField(_l("Attachments (optional)"))
    # Not ``status``: the status form on the same page has that field (and its id).
    new_status = SelectField(_l("Status after sending"), validators=[Optional()])
    # Older pages sent internal notes through this form; the note form replaces the tick.
    internal = BooleanField(_l("Internal note — not visible to the customer"))
    # When the page was made: a message that arrived since then stops the reply until it is seen.
    opened_at = HiddenField()
    send_anyway = HiddenField()

    def set_choices(self, case_status: Status, allowed: Iterable[Status]) -> None:
        self.new_status.choices = _status_after_choices(case_status, allowed)


class NoteForm(FlaskForm):
    """An internal note: agents only, never mailed to the customer. Its fields are named ``note-…``."""

    body = TextAreaField(
        _l("Internal note"), validators=[DataRequired(_l("Write a note first.")), Length(max=BODY_MAX)]
    )
    attachments = MultipleFileField(_l("Attachments (optional, internal too)"))
    new_status = SelectField(_l("Status after saving"), validators=[Optional()])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, prefix="note", **kwargs)

    def set_choices(self, case_status: Status, allowed: Iterable[Status]) -> None:
        self.new_status.choices = _status_after_choices(case_status, allowed)


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), validators=[DataRequired(_l("Choose a status."))])
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=BODY_MAX)])
    comment_internal = BooleanField(_l("Keep the comment internal — not visible to the customer"))

    def set_choices(self, allowed: Iterable[Status]) -> None:
        """The statuses the case may move to now."""
        self.status.choices = status_choices(allowed)


class AssignForm(FlaskForm):
    assignee = SelectField(_l("Assign to"))

    def set_choices(self, agents: Iterable[Person]) -> None:
        self.assignee.choices = [("", _("Nobody (unassigned)"))] + _agent_choices(agents)


class SeverityForm(FlaskForm):
    severity = SelectField(_l("Severity"), validators=[DataRequired(_l("Choose a severity."))])

    def set_choices(self) -> None:
        self.severity.choices = severity_choices()


class CannedReplyForm(FlaskForm):
    """A canned reply of the team's library: a title, the text in each language, a status to set."""

    title = StringField(_l("Title"), validators=[DataRequired(_l("Give the canned reply a title.")), Length(max=120)])
    body_en = TextAreaField(_l("Text in English"), validators=[Optional(), Length(max=BODY_MAX)])
    body_nl = TextAreaField(_l("Text in Dutch"), validators=[Optional(), Length(max=BODY_MAX)])
    body_fr = TextAreaField(_l("Text in French"), validators=[Optional(), Length(max=BODY_MAX)])
    set_status = SelectField(_l("Status after sending"), validators=[Optional()])

    def set_choices(self) -> None:
        self.set_status.choices = [("", _("Keep the case's status"))] + status_choices(STATUS_ORDER)

    @property
    def bodies(self) -> dict[str, str | None]:
        return {"en": self.body_en.data, "nl": self.body_nl.data, "fr": self.body_fr.data}


class BulkForm(FlaskForm):
    """The queue's bulk change: the selected cases (``case``, repeated) and what to change; blank leaves it."""

    bulk_assignee = SelectField(_l("Assign to"), validate_choice=False)
    bulk_status = SelectField(_l("Status"), validate_choice=False)
    bulk_severity = SelectField(_l("Severity"), validate_choice=False)

    def set_choices(self, agents: Iterable[Person]) -> None:
        keep = ("", _("No change"))
        self.bulk_assignee.choices = [keep, ("nobody", _("Nobody (unassigned)"))] + _agent_choices(agents)
        self.bulk_status.choices = [keep] + status_choices(STATUS_ORDER)
        self.bulk_severity.choices = [keep] + severity_choices()


class ReportPeriodForm(Form):
    """The report's period: a GET form (bookmarkable), so without a CSRF token."""

    days = SelectField(_l("Period"), validate_choice=False)
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])

    def set_choices(self, presets: Iterable[int]) -> None:
        self.days.choices = [
            (str(days), ngettext("Last %(num)s day", "Last %(num)s days", days)) for days in presets
        ] + [("dates", _("Between the dates below"))]
