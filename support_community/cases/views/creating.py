"""Opening a case in an organization's name."""

from __future__ import annotations

import uuid

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from shared.access import requires
from shared.errors import report_error
from shared.i18n import current_language
from support_community.auth import organizations
from support_community.cases.forms.attachments import uploads
from support_community.cases.forms.creating import NewCaseForm, category_id
from support_community.cases.services import catalog, creating
from support_community.cases.services.errors import CaseError
from support_community.cases.views import bp
from support_community.cases.views.context import acting_organization, acting_person, upload_limits
from support_community.extensions import db
from support_community.kb.views.suggesting import articles_to_offer_first


@bp.route("/orgs/<uuid:org_id>/cases/new", methods=["GET", "POST"])
@requires("case.create")
def new_case(org_id: uuid.UUID) -> ResponseReturnValue:
    org = acting_organization()
    products, categories = catalog.products(), catalog.categories()
    form = NewCaseForm()
    form.set_choices(products, categories, current_language())
    status = 200
    if form.validate_on_submit():
        # Without JavaScript, the first submit shows the help articles that may answer the question.
        suggestions = articles_to_offer_first(form.subject.data, form.description.data)
        if suggestions:
            return render_template(
                "cases/new.html",
                org=org,
                form=form,
                products=products,
                categories=categories,
                limits=upload_limits(),
                suggestions=suggestions,
            )
        try:
            case = creating.open_case(
                org=org,
                actor=acting_person(),
                product_key=form.product.data,
                category_id=category_id(form.category.data),
                severity=form.severity.data,
                subject=form.subject.data,
                description=form.description.data,
                uploads=uploads(form.attachments),
            )
            organizations.remember_use(case.opened_by_sub, org_id)
            db.session.commit()
        except CaseError as error:
            db.session.rollback()
            report_error(error, form)
            status = 400
        else:
            flash(_("Case %(number)s was opened. You will hear from us by e-mail.", number=case.number), "success")
            return redirect(url_for(".case_detail", org_id=org_id, case_id=case.id))
    elif form.is_submitted():
        status = 400
    return render_template(
        "cases/new.html", org=org, form=form, products=products, categories=categories, limits=upload_limits()
    ), status
