"""Twilio in software, as its documentation describes it, for `ivr call` and the tests.

`twilio.py` is the REST API v2010 the helpline calls (placing, ending and fetching calls, taking a
caller out of a queue), its queues and conferences; `professionals.py` plays the phones the
helpline rings — people who press 1, people who don't, voicemail boxes, machines, busy lines,
phones nobody answers; `ivr.sim.phone` plays the caller. Time runs on a `SimClock` that the helpline
under test may share, so a five-minute wait can pass in seconds.
"""
