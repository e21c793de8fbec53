"""Shared state and helpers of the gcal Google emulator (gemu.py).

Everything lives in memory, guarded by one re-entrant lock (LOCK).  Nothing
here is ever written to disk except the port file gemu.py writes.
"""
import base64
import datetime as dt
import hashlib
import json
import os
import secrets
import threading
import time
from collections import OrderedDict, deque
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
LOCK = threading.RLock()
# fn(state, calendar) after each change of an event (emu_push);
# fn(state) after each reset
CHANGE_HOOKS = []
# called as hook(st, cal) when a calendar is deleted
GONE_HOOKS = []
RESET_HOOKS = []
HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_SECRET_FILE = os.path.join(HERE, '..', 'fixtures', 'client_secret.json')

SCOPE_PREFIX = 'https://www.googleapis.com/auth/'
SHORT_SCOPES = {
    'email': SCOPE_PREFIX + 'userinfo.email',
    'profile': SCOPE_PREFIX + 'userinfo.profile',
}
KNOWN_SCOPES = {'openid', SCOPE_PREFIX + 'userinfo.email', SCOPE_PREFIX + 'userinfo.profile'} | {
    SCOPE_PREFIX + s for s in (
        'calendar', 'calendar.readonly', 'calendar.events', 'calendar.events.readonly',
        'calendar.events.owned', 'calendar.events.owned.readonly', 'calendar.app.created',
        'calendar.calendarlist', 'calendar.calendarlist.readonly', 'calendar.calendars',
        'calendar.calendars.readonly', 'calendar.settings.readonly', 'calendar.acls',
        'calendar.acls.readonly', 'calendar.events.freebusy', 'calendar.freebusy',
        'calendar.events.public.readonly')}


def now():
    return time.time()


def rfc3339_ms(ts):
    d = dt.datetime.fromtimestamp(ts, UTC)
    return d.strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (d.microsecond // 1000)


def parse_rfc3339(s):
    """Aware datetime from an RFC 3339 string; None when it has no offset."""
    s = s.strip()
    if s.endswith('z'):
        s = s[:-1] + 'Z'
    d = dt.datetime.fromisoformat(s)
    return d


def fmt_local(d):
    """RFC 3339 with offset, seconds precision, like Google's event times."""
    s = d.isoformat(timespec='seconds')
    if s.endswith('+00:00'):
        s = s[:-6] + 'Z'
    return s


def b32hex_id(nbytes=13):
    # hex digits are a subset of base32hex (a-v, 0-9): always a valid event id
    return secrets.token_hex(nbytes)


def user_sub(email):
    h = hashlib.sha256(email.encode()).hexdigest()
    return '1' + str(int(h[:16], 16)).rjust(20, '0')[:20]


def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b'=').decode()


def b64u_dec(s):
    if isinstance(s, str):
        s = s.encode()
    return base64.urlsafe_b64decode(s + b'=' * (-len(s) % 4))


class Resp:
    __slots__ = ('status', 'body', 'headers', 'reason')

    def __init__(self, status=200, body=b'', ctype='application/json; charset=UTF-8',
                 headers=None, reason=None):
        self.status = status
        if isinstance(body, str):
            body = body.encode()
        self.body = body
        self.headers = list(headers or [])
        if ctype and (body or status not in (204, 304)):
            self.headers.insert(0, ('Content-Type', ctype))
        self.reason = reason


def jresp(status, obj, headers=None):
    if isinstance(obj, (bytes, str)):
        body = obj
    else:
        body = json.dumps(obj, indent=2, ensure_ascii=False) + '\n'
    return Resp(status, body, headers=headers)


# Error body shape from "Handle API errors"
# (https://developers.google.com/workspace/calendar/api/guides/errors):
# {"error":{"errors":[{"domain","reason","message",...}],"code","message"}}
def gerr(code, reason, message, domain='global', location=None, location_type=None,
         headers=None, status=None, details=None):
    e = {'domain': domain, 'reason': reason, 'message': message}
    if location_type:
        e['locationType'] = location_type
        e['location'] = location
    err = {'errors': [e], 'code': code, 'message': message}
    if status:
        err['status'] = status
    if details:
        err['details'] = details
    return jresp(code, {'error': err}, headers)


class ApiError(Exception):
    def __init__(self, resp):
        Exception.__init__(self, resp.status)
        self.resp = resp


def fail(*a, **kw):
    raise ApiError(gerr(*a, **kw))


def not_found():
    fail(404, 'notFound', 'Not Found')


REASON_DEFAULTS = {
    'rateLimitExceeded': ('usageLimits', 'Rate Limit Exceeded'),
    'userRateLimitExceeded': ('usageLimits', 'User Rate Limit Exceeded'),
    'quotaExceeded': ('usageLimits', 'Calendar usage limits exceeded.'),
    'dailyLimitExceeded': ('usageLimits', 'Daily Limit Exceeded'),
    'backendError': ('global', 'Backend Error'),
    'internalError': ('global', 'Internal Error'),
    'notFound': ('global', 'Not Found'),
    'forbidden': ('global', 'Forbidden'),
    'fullSyncRequired': ('global', 'Sync token is no longer valid, a full sync is required.'),
    'conditionNotMet': ('global', 'Precondition Failed'),
    'deleted': ('global', 'Resource has been deleted'),
    'duplicate': ('global', 'The requested identifier already exists.'),
}
STATUS_DEFAULT_REASON = {400: 'badRequest', 401: 'authError', 403: 'rateLimitExceeded',
                         404: 'notFound', 409: 'duplicate', 410: 'deleted', 412: 'conditionNotMet',
                         429: 'rateLimitExceeded', 500: 'backendError', 502: 'backendError',
                         503: 'backendError'}


def fault_error(status, reason=None, message=None, retry_after=None):
    reason = reason or STATUS_DEFAULT_REASON.get(status, 'backendError')
    domain, msg = REASON_DEFAULTS.get(reason, ('global', reason))
    if status == 503 and not message:
        msg = 'The service is currently unavailable.'
    hdrs = [('Retry-After', str(retry_after))] if retry_after is not None else None
    return gerr(status, reason, message or msg, domain=domain, headers=hdrs)


class Calendar:
    def __init__(self, cid, owner, summary, tz, primary=False, client_id=None, description=None):
        self.id = cid
        self.owner = owner
        self.summary = summary
        self.description = description
        self.tz = tz
        self.primary = primary
        self.created_by_client = client_id
        self.events = OrderedDict()       # id -> Ev, ordered by last change
        self.exceptions = {}              # master id -> {instance id: Ev}
        self.sync_epoch = 0
        self.etag = '"%d"' % int(now() * 1000000)
        self.hidden = False
        self.updated_ts = now()

    def resource(self):
        r = OrderedDict(kind='calendar#calendar', etag=self.etag, id=self.id, summary=self.summary)
        if self.description:
            r['description'] = self.description
        r['timeZone'] = self.tz
        r['conferenceProperties'] = {'allowedConferenceSolutionTypes': ['hangoutsMeet']}
        return r

    def list_entry(self, user):
        r = OrderedDict(kind='calendar#calendarListEntry', etag=self.etag, id=self.id,
                        summary=self.summary)
        if self.description:
            r['description'] = self.description
        r['timeZone'] = self.tz
        r['colorId'] = '14' if self.primary else '7'
        r['backgroundColor'] = '#9fe1e7' if self.primary else '#42d692'
        r['foregroundColor'] = '#000000'
        r['selected'] = True
        r['accessRole'] = 'owner'
        r['defaultReminders'] = [{'method': 'popup', 'minutes': 10}] if self.primary else []
        if self.primary:
            r['notificationSettings'] = {'notifications': [
                {'type': 'eventCreation', 'method': 'email'},
                {'type': 'eventChange', 'method': 'email'},
                {'type': 'eventCancellation', 'method': 'email'},
                {'type': 'eventResponse', 'method': 'email'}]}
            r['primary'] = True
        r['conferenceProperties'] = {'allowedConferenceSolutionTypes': ['hangoutsMeet']}
        return r


class Ev:
    """One stored event (or stored exception of a recurring event)."""
    __slots__ = ('id', 'r', 'seq', 'json', 'mjson', 'deleted', 's', 'e', 'master')

    def __init__(self, eid):
        self.id = eid
        self.r = None
        self.seq = 0
        self.json = None
        self.mjson = None
        self.deleted = False
        self.s = 0.0
        self.e = 0.0
        self.master = None     # recurringEventId for exceptions


class BaseState:
    """What both emulators' State keep alike: the command line's token
    lifetime and latency (reset() goes back to them), the grants and
    secrets handed out, the log and the faults.  A State's reset() calls
    this one's, sets its own fields, then seeds."""

    def __init__(self, token_lifetime=3599, latency_ms=0):
        self.cli_token_lifetime = token_lifetime
        self.cli_latency_ms = latency_ms
        self.reset()

    def reset(self):
        self.token_lifetime = self.cli_token_lifetime
        self.latency_ms = self.cli_latency_ms
        self.consent = 'auto'
        self.secret_marker = ''  # put into every token and code handed out
        self.codes = {}
        self.access = {}
        self.refresh = {}
        self.secrets = OrderedDict()
        self.log = []
        self.log_seq = 0
        self.faults = []
        self.change_seq = 0

    def secret(self, value):
        if value:
            self.secrets[value] = True


class State(BaseState):
    def reset(self):
        super().reset()
        self.consent_user = 'alice@example.com'
        # tests: answer like a server that sends no id_token
        self.id_tokens = True
        self.quota_per_minute = None
        self.quota_status = 403
        self.clients = {}
        self.users = OrderedDict()
        self.cals = OrderedDict()
        self.sas = {}
        self.grants = OrderedDict()
        self.page_cache = OrderedDict()
        self.quota = {}
        self._ts_cache = (None, None)
        self.seed()
        for h in RESET_HOOKS:
            h(self)

    def seed(self):
        try:
            with open(CLIENT_SECRET_FILE) as f:
                cs = json.load(f)
            inst = cs.get('installed') or cs.get('web')
            self.add_client(inst['client_id'], inst['client_secret'],
                            'installed' if 'installed' in cs else 'web')
        except (OSError, ValueError, KeyError):
            self.add_client('1000000000001-gcaltest.apps.googleusercontent.com',
                            'GOCSPX-emulatorClientSecret0001')
        self.add_user('alice@example.com', 'Europe/Amsterdam', 'Alice Example')
        self.add_user('bob@example.com', 'Europe/Amsterdam', 'Bob Example')
        self.add_calendar('alice@example.com', 'Team')

    def add_client(self, cid, secret, ctype='installed'):
        self.clients[cid] = {'client_id': cid, 'client_secret': secret, 'type': ctype}
        self.secret(secret)

    def add_user(self, email, tz='Europe/Amsterdam', name=None):
        ZoneInfo(tz)  # validates
        if email not in self.users:
            local = email.split('@')[0]
            self.users[email] = {'email': email, 'tz': tz, 'sub': user_sub(email),
                                 'name': name or local.capitalize()}
            self.cals[email] = Calendar(email, email, email, tz, primary=True)
        return self.users[email]

    def add_calendar(self, owner, summary, tz=None, client_id=None, description=None, cid=None):
        cid = cid or ('c_' + secrets.token_hex(32) + '@group.calendar.google.com')
        cal = Calendar(cid, owner, summary, tz or self.users[owner]['tz'], client_id=client_id,
                       description=description)
        self.cals[cid] = cal
        return cal

    # ---- change feed -------------------------------------------------
    def touch(self, cal, ev, ts=None):
        """Record a change of ev: new seq, etag, updated, cached JSON."""
        self.change_seq += 1
        ev.seq = self.change_seq
        ts = ts or now()
        if ts != self._ts_cache[0]:
            self._ts_cache = (ts, rfc3339_ms(ts))
        cal.updated_ts = ts
        ev.r['updated'] = self._ts_cache[1]
        ev.r['etag'] = '"%d"' % (int(ts * 1000) * 1000 + self.change_seq % 1000)
        ev.deleted = ev.r.get('status') == 'cancelled'
        ev.json = json.dumps(ev.r, separators=(',', ':'), ensure_ascii=False)
        if ev.deleted:
            # minimal record of a deleted event in list/sync results ("Deleted events
            # are only guaranteed to have the id field populated" - Events resource)
            m = OrderedDict(kind='calendar#event', etag=ev.r['etag'], id=ev.id,
                            status='cancelled')
            if ev.master:
                m['recurringEventId'] = ev.master
                if 'originalStartTime' in ev.r:
                    m['originalStartTime'] = ev.r['originalStartTime']
            ev.mjson = json.dumps(m, separators=(',', ':'))
        else:
            ev.mjson = None
        cal.events[ev.id] = ev
        cal.events.move_to_end(ev.id)
        if ev.master:
            cal.exceptions.setdefault(ev.master, {})[ev.id] = ev
        for h in CHANGE_HOOKS:
            h(self, cal)

    # ---- page cache for list snapshots ---------------------------------
    def cache_pages(self, entry):
        key = secrets.token_urlsafe(12)
        self.page_cache[key] = entry
        while len(self.page_cache) > 64:
            self.page_cache.popitem(last=False)
        return key

    def quota_take(self, user):
        """True when the request may proceed (sliding one-minute window)."""
        if not self.quota_per_minute:
            return True
        q = self.quota.setdefault(user or '-', deque())
        t = now()
        while q and q[0] < t - 60:
            q.popleft()
        if len(q) >= self.quota_per_minute:
            return False
        q.append(t)
        return True

    def quota_retry_after(self, user):
        q = self.quota.get(user or '-')
        if not q:
            return 1
        return max(1, int(q[0] + 60 - now()) + 1)
