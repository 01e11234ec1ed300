"""Safety actions that touch storage and providers: quick exit, expiry, erasure, retention.

The rules (what may be deleted, when, how long data is kept) are pure functions in `safety/`;
these modules apply them inside the caller's transaction and queue provider work in the outbox.
"""
