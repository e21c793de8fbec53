"""Quota accounting of the emulator: what rate each user and each project
(OAuth client) sent, Google's per-project minute and its daily "Calendar
usage limits exceeded", and a fleet of linked users made in one call.

Reference: "Manage quotas" (Calendar API usage limits),
https://developers.google.com/workspace/calendar/api/guides/quota
 - per minute per project (10,000) and per minute per user per project
   (600), "calculated per minute using a sliding window"
 - over either: 403 or 429 usageLimits (rateLimitExceeded)
and "Handle API errors", .../calendar/api/guides/errors: 403 quotaExceeded
(usageLimits) "Calendar usage limits exceeded." for the daily limits.

Every Calendar call (each part of a batch too) is counted here as it
arrives, refused or not, per user and per project, in a sliding 60 s
window; the largest count a window ever held is its peak.

Control (under /_emu/quota, see README.md): GET the counts; POST config
{"project_per_minute": n|null, "daily_writes_per_user": n|null}; POST
clear (the counts, not the config). POST /_emu/fleet {"count": N,
"prefix": "fleet", "lifetime": s} makes N users PREFIX00000@example.com...
with an access token each for the seeded client, and answers NDJSON
{"email", "access_token", "expires_in"}.
"""
import json
from collections import deque

import emu_core
from emu_core import Resp, fault_error, jresp, now

WINDOW = 60.0


def reset(st):
    st.qacct = {'users': {}, 'projects': {}, 'refused_rate': 0, 'refused_daily': 0,
                'requests': 0, 'first': None, 'last': None, 'writes': {}, 'connections': 0}
    st.qconf = {'project_per_minute': None, 'daily_writes_per_user': None}


class Window:
    __slots__ = ('t', 'peak', 'total')

    def __init__(self):
        self.t = deque()
        self.peak = 0
        self.total = 0

    def add(self, t):
        q = self.t
        while q and q[0] <= t - WINDOW:
            q.popleft()
        q.append(t)
        self.total += 1
        if len(q) > self.peak:
            self.peak = len(q)
        return len(q)


def project_of(a):
    return a.get('client_id') or a.get('sa') or '-'


def seen(st, a):
    """Count a Calendar call as it arrives (before any quota says no)."""
    A = st.qacct
    t = now()
    A['requests'] += 1
    A['first'] = A['first'] or t
    A['last'] = t
    A['users'].setdefault(a['user'] or '-', Window()).add(t)
    A['projects'].setdefault(project_of(a), Window()).add(t)


def connection(st):
    """A TCP connection accepted (make bench: how many a fleet opens)."""
    with emu_core.LOCK:
        st.qacct['connections'] += 1


def refused_rate(st):
    st.qacct['refused_rate'] += 1


def check(st, a, method):
    """The project's minute and the user's day: None, or the answer."""
    C = st.qconf
    A = st.qacct
    lim = C.get('project_per_minute')
    if lim:
        w = A['projects'].get(project_of(a))
        if w and len(w.t) > lim:
            A['refused_rate'] += 1
            return fault_error(st.quota_status, 'rateLimitExceeded',
                               retry_after=max(1, int(w.t[0] + WINDOW - now()) + 1))
    day = C.get('daily_writes_per_user')
    if day is not None and method != 'GET':
        n = A['writes'].get(a['user'], 0)
        if n >= day:
            A['refused_daily'] += 1
            return fault_error(403, 'quotaExceeded')
        A['writes'][a['user']] = n + 1
    return None


def counts(st):
    A = st.qacct
    users = A['users']
    projects = A['projects']
    span = (A['last'] - A['first']) if A['first'] else 0
    top_user = max(users.items(), key=lambda kv: kv[1].peak, default=(None, None))
    return {
        'requests': A['requests'],
        'seconds': round(span, 3),
        'rate_per_second': round(A['requests'] / span, 1) if span > 0 else None,
        'users': len(users),
        'peak_per_minute_user': top_user[1].peak if top_user[1] else 0,
        'peak_user': top_user[0],
        'peak_per_minute_project': {k: w.peak for k, w in projects.items()},
        'refused_rate': A['refused_rate'],
        'refused_daily': A['refused_daily'],
        'connections': A['connections'],
    }


def fleet(st, body):
    from emu_oauth import issue_access  # noqa: E402 (emu_oauth imports emu_core)
    n = int(body['count'])
    prefix = body.get('prefix', 'fleet')
    life = int(body.get('lifetime', 86400))
    client = body.get('client_id') or next(iter(st.clients))
    scopes = body.get('scopes') or [emu_core.SCOPE_PREFIX + 'calendar']
    out = []
    saved = st.token_lifetime
    st.token_lifetime = life
    try:
        for i in range(n):
            email = '%s%05d@example.com' % (prefix, i)
            st.add_user(email, 'UTC')
            tok = issue_access(st, email, client, scopes, None)
            out.append(json.dumps({'email': email, 'access_token': tok, 'expires_in': life}))
    finally:
        st.token_lifetime = saved
    return Resp(200, '\n'.join(out) + '\n', ctype='application/x-ndjson')


def control(st, segs, m, body):
    """/_emu/quota/... and /_emu/fleet; None when not ours."""
    if segs == ['fleet'] and m == 'POST':
        return fleet(st, body)
    if not segs or segs[0] != 'quota':
        return None
    if segs == ['quota'] and m == 'GET':
        return jresp(200, counts(st))
    if segs == ['quota', 'config'] and m == 'POST':
        for k in ('project_per_minute', 'daily_writes_per_user'):
            if k in body:
                st.qconf[k] = body[k]
        return jresp(200, st.qconf)
    if segs == ['quota', 'clear'] and m == 'POST':
        conf = st.qconf
        reset(st)
        st.qconf = conf
        return jresp(200, {'ok': True})
    return None


emu_core.RESET_HOOKS.append(reset)
