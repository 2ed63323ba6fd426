"""The composition root: every part of the helpline made once and wired together, for the web app
(ivr/web/current.py hangs it on the app), the command line and the simulator alike. No Flask here."""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError
from twilio.request_validator import RequestValidator

from .calls.control import TICK_SECONDS, CallControl
from .calls.links import Links
from .calls.callback_request import CallbackRequests
from .calls.caller_line import CallerLine
from .calls.callback_professional import CallbackProfessional
from .calls.on_hold import OnHold
from .calls.offer_leg import OfferLeg
from .calls.presence_texts import PresenceTexts
from .calls.rehearsal_witness import RehearsalWitness
from .calls.text_delivery import TextDelivery
from .calls.calling_back import CallbackCalls
from .calls.follow_up import FollowUp
from .config import Settings
from .flow.live import LiveFlows
from .calls.routing.roster import ROSTER_FILE, live_roster
from .store.calls import CallRecords
from .store.database import open_database, ping
from .calls.notices import Notices
from .store.offers import OfferStore
from .store.notice_texts import NoticeTexts
from .store.owed import OwedStore
from .store.presence import PresenceStore
from .store.rehearsals import Rehearsals
from .store.spool import Spool
from .store.board import day_numbers
from .store.call_history import recent_calls
from .store.staff import StaffAccounts
from .store.twilio_problems import TwilioProblems
from .twilio.caller_ids import CallerIdCheck
from .store.waits import WaitStore
from .twilio.rest import TwilioApi
from .twilio.twiml import Renderer
from .utc import utc_now


#: Under the instance folder: records the database could not take yet (store/spool.py).
SPOOL_FOLDER = "spool"


@dataclass
class Services:
    settings: Settings
    flows: LiveFlows
    roster: object                  # a Live roster: .current() -> Roster | None
    database: object
    calls: CallRecords
    presence: PresenceStore
    waits: WaitStore
    offers: OfferStore
    api: TwilioApi
    validator: RequestValidator
    renderer: Renderer = field(default_factory=Renderer)
    clock: object = utc_now         # tests replace it; call control reads it through `now`
    answers: object = None
    control: CallControl | None = None
    callback_calls: CallbackCalls | None = None
    owed: OwedStore | None = None
    notices: Notices | None = None
    notice_texts: NoticeTexts | None = None
    twilio_problems: TwilioProblems | None = None
    caller_ids: CallerIdCheck | None = None
    rehearsals: Rehearsals | None = None
    staff_accounts: StaffAccounts | None = None
    callback_requests: CallbackRequests | None = None
    follow_up: FollowUp | None = None
    caller_line: CallerLine | None = None
    on_hold: OnHold | None = None
    offer_leg: OfferLeg | None = None
    presence_texts: PresenceTexts | None = None
    rehearsal_witness: RehearsalWitness | None = None
    text_delivery: TextDelivery | None = None
    callback_professional: CallbackProfessional | None = None

    def now(self) -> datetime.datetime:
        return self.clock()

    def links(self, reached_at: str = "") -> Links:
        """Absolute URLs for what Twilio fetches on a REST-placed leg: the configured public URL,
        or `reached_at`, the URL Twilio used to reach the helpline (a web request's)."""
        return Links(self.settings.public_url or reached_at.rstrip("/"))

    def day_numbers(self, since: datetime.datetime) -> dict:
        """The Now board's numbers of the day that began at `since` (ivr/store/board.py)."""
        return day_numbers(self.database, since)

    def recent_calls(self, limit: int) -> list:
        """The latest calls with their paths, newest first, for the leads' Calls page."""
        return recent_calls(self.database, limit)

    def database_problem(self) -> str | None:
        """None when the database answers; otherwise the kind of error it gave."""
        try:
            ping(self.database)
        except SQLAlchemyError as error:
            return error.__class__.__name__
        return None

    def start(self) -> None:
        """What a helpline does before its first call: the tables migrated (a database that is down
        now is retried later; calls play on), the records a process stopped in an outage left on
        disk written, the flows and roster loaded, so their problems show in the log at start-up, and
        callback tries a stopped process left unsettled asked about."""
        self.calls.ensure_schema()
        self.calls.start()
        self.flows.current()
        self.roster.current()
        if self.callback_calls is not None:
            self.callback_calls.resume()

    def close(self) -> None:
        if self.notices is not None:
            self.notices.close()
        if self.callback_calls is not None:
            self.callback_calls.close()        # its thread asking Twilio about dials nobody reported
        self.calls.close()
        if self.control is not None:
            self.control.close()


def make_services(settings: Settings, answers=None) -> Services:
    database = open_database(settings.database_url)
    api = TwilioApi(settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_api_url)
    services = Services(
        settings=settings,
        flows=LiveFlows(settings.flows_dir, settings.audio_dir, check_every=settings.flows_check_seconds),
        roster=None, database=database,
        calls=CallRecords(database, hash_key=settings.caller_hash_key,
                          spool=Spool(settings.instance_dir / SPOOL_FOLDER)),
        presence=PresenceStore(database), waits=WaitStore(database), offers=OfferStore(database),
        api=api, validator=RequestValidator(settings.twilio_auth_token), answers=answers)
    services.roster = live_roster(settings.flows_dir / ROSTER_FILE, services.flows, settings.flows_check_seconds)
    services.notice_texts, services.twilio_problems = NoticeTexts(database), TwilioProblems(database)
    services.control = CallControl(services.flows, services.roster, services.waits, services.offers,
                                   services.presence, api, services.now, tick_seconds=TICK_SECONDS,
                                   problems=services.twilio_problems)
    services.rehearsals = services.control.rehearsals = Rehearsals(database)
    services.callback_calls = CallbackCalls(database, api, services.roster, services.now)
    services.callback_professional = CallbackProfessional(services.callback_calls)
    services.owed = OwedStore(database)
    services.staff_accounts = StaffAccounts(database, services.now)
    services.follow_up = FollowUp(services.owed, api, services.now, services.callback_calls, services.staff_accounts)
    services.notices = Notices(services.owed, services.roster, services.staff_accounts,
                               services.presence, api, services.now,
                               datetime.timedelta(minutes=settings.escalate_minutes),
                               services.notice_texts, services.twilio_problems)
    services.callback_requests = CallbackRequests(services.calls, services.notices, services.now,
                                                  settings.caller_hash_key)
    services.caller_line = CallerLine(services.roster, services.calls, services.control, services.rehearsals,
                                      services.notices, services.now, settings.caller_hash_key)
    services.on_hold = OnHold(services.control, services.calls, services.caller_line, services.now,
                              settings.audio_dir)
    services.offer_leg = OfferLeg(services.control)
    services.presence_texts = PresenceTexts(services.roster, services.presence, services.control, services.now)
    services.rehearsal_witness = RehearsalWitness(services.rehearsals, services.now)
    services.text_delivery = TextDelivery(services.notice_texts, services.twilio_problems, services.notices,
                                          services.now)
    services.caller_ids = CallerIdCheck(api, services.roster, services.flows, services.now)
    return services
