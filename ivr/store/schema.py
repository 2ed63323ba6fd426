"""The tables, in one place. SQLite by default; the same definitions serve PostgreSQL."""
from sqlalchemy import Boolean, Column, DateTime, Index, Integer, MetaData, String, Table, Text, text

metadata = MetaData()

calls = Table(
    "calls", metadata,
    Column("call_sid", String(64), primary_key=True),
    Column("caller_key", String(40), nullable=False, default="", index=True),   # keyed hash, never the number
    Column("started_at", DateTime(timezone=True)),
    Column("ended_at", DateTime(timezone=True)),
    Column("status", String(20), nullable=False, default="in-progress"),
    Column("status_sequence", Integer),     # the SequenceNumber of the status callback applied last
    Column("duration_seconds", Integer),
    # talked | callback | voicemail | overflow | abandoned | information (heard information, hung up)
    Column("outcome", String(20)),
    Column("waiting_since", DateTime(timezone=True)),   # when they first asked for a person
    Column("waited_seconds", Integer),                  # until a person answered or they gave up
)

callbacks = Table(
    "callbacks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_sid", String(64), nullable=False, unique=True),
    Column("caller_key", String(40), nullable=False, default=""),
    # The one place a number is kept in clear: a person has to dial it. Deleted once done.
    Column("number", String(32), nullable=False),
    Column("language", String(10), nullable=False),                   # a code of the flows
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False, default="pending"),
    Column("helpline_number", String(32), nullable=False, default=""),   # the number they dialled
    Column("attempts", Integer, nullable=False, default=0),             # calls placed back to them
    Column("last_outcome", String(20)),            # reached | voicemail | no-answer | busy | failed
    Column("last_tried_at", DateTime(timezone=True)),
    # Who is calling them back (a staff login, once someone pressed Call back now), who closed it.
    Column("claimed_by", String(64)),
    Column("handled_by", String(64)),
    Column("notified_at", DateTime(timezone=True)),    # the professionals on shift were texted
    Column("escalated_at", DateTime(timezone=True)),   # waited too long: the leads were texted
)

callback_tries = Table(
    # One call placed back to a caller, keyed on the professional's leg (its CallSid), so however
    # often or late Twilio's requests about it come, it is counted once. What Twilio said about the
    # <Dial> to the caller, what the professional said (1 reached, 2 voicemail) and how their own
    # leg ended are kept as they come; the outcome follows from them once settled.
    "callback_tries", metadata,
    Column("leg_sid", String(64), primary_key=True),
    Column("callback_id", Integer, nullable=False, index=True),
    Column("dialing_at", DateTime(timezone=True)),     # the professional pressed 1: the caller is dialled
    Column("dial_status", String(20)),             # DialCallStatus of the <Dial> to the caller
    Column("dial_seconds", Integer),               # DialCallDuration
    Column("professional_said", String(20)),       # reached | voicemail | nothing (their key after the talk)
    Column("leg_status", String(20)),              # the professional's leg's final CallStatus
    Column("outcome", String(20)),                 # reached | voicemail | no-answer | busy | failed | unconfirmed
    Column("settled_at", DateTime(timezone=True)),     # counted in callbacks.attempts from then on
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

voicemails = Table(
    "voicemails", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_sid", String(64), nullable=False, unique=True),
    Column("caller_key", String(40), nullable=False, default=""),
    Column("recording_url", Text, nullable=False),
    Column("duration_seconds", Integer),
    Column("language", String(10), nullable=False),                   # a code of the flows
    Column("left_at", DateTime(timezone=True), nullable=False),
    Column("helpline_number", String(32), nullable=False, default=""),   # the number they dialled
    # It stays on the staff pages until someone marks it handled (who, by their login, and when).
    Column("handled_at", DateTime(timezone=True)),
    Column("handled_by", String(64)),
    Column("notified_at", DateTime(timezone=True)),    # the professionals on shift were texted
    Column("escalated_at", DateTime(timezone=True)),   # waited too long: the leads were texted
    Column("recording_deleted_at", DateTime(timezone=True)),   # at Twilio, once handled
)

presence = Table(
    "presence", metadata,
    Column("professional_id", String(64), primary_key=True),     # the roster's id
    Column("away", Boolean, nullable=False, default=False),
    Column("idle_since", DateTime(timezone=True)),   # end of their last helpline call
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

#: An offer is live while its leg may still reach the professional or they are talking.
LIVE_OFFER_STATES = ("placing", "ringing", "answered", "accepted")
_LIVE = text("state IN ('placing', 'ringing', 'answered', 'accepted')")

waits = Table(
    # A caller who asked for a person, from their first ask until they are connected or leave:
    # the helpline, not Twilio's queue, owns the wait (max_wait counts from asked_at, across rounds).
    "waits", metadata,
    Column("call_sid", String(64), primary_key=True),
    Column("language", String(10), nullable=False),
    Column("team", String(64), nullable=False),
    Column("step", String(210), nullable=False),          # the connect or queue step they are at
    Column("asked_at", DateTime(timezone=True), nullable=False),
    Column("state", String(20), nullable=False),          # waiting | connected | left | gone
    Column("next_step", String(210)),                     # where 'left' sends them (flow:step)
    Column("round", Integer, nullable=False, default=0),  # offer rounds claimed so far
    Column("step_round", Integer, nullable=False, default=0),   # `round` when they reached `step`
    Column("queue_sid", String(64)),                      # Twilio's queue, learnt on hold
    Column("helpline_number", String(32), nullable=False, default=""),   # the number they dialled
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

offers = Table(
    # One professional's call leg offering one waiting caller. States only move forward, so a
    # retried or late callback cannot reopen a finished leg.
    "offers", metadata,
    Column("id", String(32), primary_key=True),
    Column("call_sid", String(64), nullable=False, index=True),      # the caller
    Column("round", Integer, nullable=False),
    Column("professional_id", String(64), nullable=False),
    Column("leg_sid", String(64), unique=True),                      # Twilio's, once placed
    # placing | ringing | answered | accepted | ended | missed | canceled | failed
    Column("state", String(20), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("checked_at", DateTime(timezone=True)),       # when Twilio was last asked about the leg
    # Nobody is offered two callers at once, whichever instance offers.
    Index("one_live_offer_per_professional", "professional_id", unique=True,
          sqlite_where=_LIVE, postgresql_where=_LIVE),
)

call_steps = Table(
    # The path of a call: each step it waited at and what the caller did there (a key, 'speech' —
    # never what was said —, 'silence'), written in batches off the request path.
    "call_steps", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_sid", String(64), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("step", String(210), nullable=False),
    Column("answer", String(20), nullable=False, default=""),
)

staff = Table(
    # Staff who log in to the staff pages. A professional is linked to their roster entry, so the
    # pages know their languages, teams and presence; a lead sees everything.
    "staff", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("login", String(64), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("role", String(20), nullable=False),              # lead | professional
    Column("professional_id", String(64)),                   # the roster's id
    Column("password_hash", Text),                           # werkzeug scrypt; NULL until set
    Column("setup_token", String(64)),                       # SHA-256 of the one-time link's token
    Column("setup_expires_at", DateTime(timezone=True)),
    # Part of the session's user id: a new password ends every session opened with the old one.
    Column("session_version", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

notice_texts = Table(
    # Every text the helpline sends (a notice, an escalation, a reply to ON/OFF) by Twilio's
    # MessageSid, with what its status callbacks said. States only move forward (status_rank), so a
    # repeated or late callback changes nothing; a text Twilio could not deliver is followed by a
    # short spoken call to the same person, placed once (call_claimed_at) whichever instance sees it.
    "notice_texts", metadata,
    Column("message_sid", String(64), primary_key=True),
    Column("kind", String(20), nullable=False),           # voicemail | callback | text (not known to be a notice)
    Column("item_id", Integer),                           # the voicemail's or callback's id
    Column("phone", String(32), nullable=False, default=""),   # the professional's or lead's, never a caller's
    Column("from_number", String(32), nullable=False, default=""),   # the helpline number it went from
    Column("language", String(10), nullable=False, default=""),      # what the call says it in
    Column("status", String(20), nullable=False, default="queued"),
    Column("status_rank", Integer, nullable=False, default=0),
    Column("error_code", Integer),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("call_claimed_at", DateTime(timezone=True)),   # the spoken call instead was placed (or tried)
    Column("call_sid", String(64)),
)

twilio_problems = Table(
    # What Twilio refused or could not deliver, for the Now page and /readyz: never a phone number.
    "twilio_problems", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(30), nullable=False),           # text-not-delivered | leg-refused | notice-call-refused
    Column("code", Integer),                              # Twilio's error code
    Column("detail", String(200), nullable=False, default=""),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
)

rehearsals = Table(
    # `ivr twilio rehearse`: one real call from another number of the account (`stand_in`, a number
    # of the account, never a caller's) into the helpline. While it is active, a call From it To the
    # helpline is the rehearsal's (`call_sid`): only `stand_in` is rung for it, and it is left out
    # of reports, the Calls page and notices.
    "rehearsals", metadata,
    Column("id", String(32), primary_key=True),
    Column("helpline_number", String(32), nullable=False),
    Column("stand_in", String(32), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("caller_sid", String(64)),                     # the REST call the rehearsal placed
    Column("call_sid", String(64), unique=True),          # that call as the helpline received it
    Column("finished_at", DateTime(timezone=True)),
    Column("seen", Text),                                 # the report, as JSON
)

rehearsal_callbacks = Table(
    # Every webhook request of a rehearsal's calls and legs: its route, the HTTP status the helpline
    # answered and which URL Twilio's signature covered (plain | with-fragment | none).
    "rehearsal_callbacks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rehearsal_id", String(32), nullable=False, index=True),
    Column("route", String(100), nullable=False),
    Column("status", Integer, nullable=False),
    Column("signature", String(20), nullable=False),
    Column("call_sid", String(64), nullable=False, default=""),
    Column("at", DateTime(timezone=True), nullable=False),
)
