"""The staff pages' one blueprint (/staff/), with their templates and stylesheet beside it."""
from flask import Blueprint

blueprint = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates",
                      static_folder="static")

#: The pages in the menu, in order: (endpoint, words). A page is listed once its view exists.
MENU = (("staff.now", "Now"), ("staff.me", "Me"), ("staff.voicemails", "Voicemails"),
        ("staff.callbacks", "Callbacks"), ("staff.calls", "Calls"), ("staff.reports", "Reports"),
        ("staff.flows", "Flows"), ("staff.roster", "Roster"))
LEADS_ONLY = {"staff.calls", "staff.reports", "staff.flows", "staff.roster"}


@blueprint.context_processor
def _menu():
    from flask import current_app
    from flask_login import current_user

    known = current_app.view_functions
    lead = getattr(current_user, "is_authenticated", False) and current_user.is_lead
    return {"menu": [(endpoint, words) for endpoint, words in MENU
                     if endpoint in known and (lead or endpoint not in LEADS_ONLY)]}
