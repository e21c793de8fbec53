"""Shared state, ids, clock, time zones and error bodies of memu (the Graph emulator).

Everything lives in memory, guarded by one re-entrant lock (LOCK).  Nothing
is written to disk except the port file memu.py writes.
"""
import base64
import datetime as dt
import json
import re
import secrets
import threading
import time
import uuid
from collections import OrderedDict, deque
from zoneinfo import ZoneInfo

from emu_core import BaseState, Resp  # noqa: F401  (Resp: the answer object, shared with gemu)

UTC = dt.timezone.utc
LOCK = threading.RLock()
GRAPH = 'https://graph.microsoft.com/'
# the Microsoft-account ("consumers") tenant id, as the identity platform
# documents it in id tokens of personal accounts
MSA_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad'
ORG_TENANT = '3f1c9a2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b'
ORG_DOMAINS = ('contoso.onmicrosoft.com', 'contoso.com')
PUBLIC_CLIENT = '5c1e9f0a-7b3d-4c2e-8f1a-6763616c0001'
CONF_CLIENT = '5c1e9f0a-7b3d-4c2e-8f1a-6763616c0002'
CONF_SECRET = 'gcalEmu~ConfidentialClientSecret.0002'

# Windows time zone names Graph uses in start/end.timeZone and
# outlook.timezone, with their IANA zone (CLDR windowsZones.xml, territory 001)
WINDOWS_ZONES = {
    'UTC': 'UTC', 'GMT Standard Time': 'Europe/London',
    'Greenwich Standard Time': 'Atlantic/Reykjavik',
    'W. Europe Standard Time': 'Europe/Berlin', 'Romance Standard Time': 'Europe/Paris',
    'Central Europe Standard Time': 'Europe/Budapest',
    'Central European Standard Time': 'Europe/Warsaw',
    'E. Europe Standard Time': 'Europe/Chisinau', 'FLE Standard Time': 'Europe/Kiev',
    'GTB Standard Time': 'Europe/Bucharest', 'Russian Standard Time': 'Europe/Moscow',
    'Turkey Standard Time': 'Europe/Istanbul', 'Israel Standard Time': 'Asia/Jerusalem',
    'South Africa Standard Time': 'Africa/Johannesburg',
    'Arabian Standard Time': 'Asia/Dubai', 'India Standard Time': 'Asia/Calcutta',
    'China Standard Time': 'Asia/Shanghai', 'Singapore Standard Time': 'Asia/Singapore',
    'Tokyo Standard Time': 'Asia/Tokyo', 'Korea Standard Time': 'Asia/Seoul',
    'AUS Eastern Standard Time': 'Australia/Sydney',
    'New Zealand Standard Time': 'Pacific/Auckland',
    'Eastern Standard Time': 'America/New_York', 'Central Standard Time': 'America/Chicago',
    'Mountain Standard Time': 'America/Denver', 'US Mountain Standard Time': 'America/Phoenix',
    'Pacific Standard Time': 'America/Los_Angeles', 'Alaskan Standard Time': 'America/Anchorage',
    'Hawaiian Standard Time': 'Pacific/Honolulu', 'Atlantic Standard Time': 'America/Halifax',
    'E. South America Standard Time': 'America/Sao_Paulo',
    'Canada Central Standard Time': 'America/Regina',
}


class Clock:
    """Wall clock plus a test-settable offset (POST /_emu/clock)."""
    offset = 0.0


def now():
    return time.time() + Clock.offset


def zone(name):
    """ZoneInfo for a Windows or IANA zone name; None when unknown."""
    if not name:
        return None
    iana = WINDOWS_ZONES.get(name, name)
    if iana in ('UTC', 'Etc/UTC', 'Etc/GMT'):
        return UTC
    try:
        return ZoneInfo(iana)
    except (ValueError, KeyError, OSError):
        return None


def graph_time(d):
    """Graph's dateTimeTimeZone.dateTime: local wall time, 7 fraction digits."""
    return d.strftime('%Y-%m-%dT%H:%M:%S.') + '%07d' % (d.microsecond * 10)


def iso_utc(ts):
    """DateTimeOffset in UTC as Graph writes it (createdDateTime, ...)."""
    d = dt.datetime.fromtimestamp(ts, UTC)
    return d.strftime('%Y-%m-%dT%H:%M:%S.') + '%07dZ' % (d.microsecond * 10)


def parse_local(s):
    """Naive datetime from Graph's dateTime (up to 7 fraction digits)."""
    m = re.fullmatch(r'(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?)(?:\.(\d{1,7}))?(Z|[+-]\d\d:\d\d)?',
                     s.strip())
    if not m:
        raise ValueError(s)
    d = dt.datetime.fromisoformat(m.group(1))
    if m.group(2):
        d = d.replace(microsecond=int(m.group(2).ljust(7, '0')[:6]))
    if m.group(3):
        off = m.group(3)
        d = dt.datetime.fromisoformat(d.isoformat() + ('+00:00' if off == 'Z' else off))
    return d


def parse_offset_time(s):
    """Aware datetime from a query's startDateTime (an offset or Z; no offset is UTC)."""
    d = parse_local(s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=UTC)
    return d


def rand_b64(nbytes):
    return base64.urlsafe_b64encode(secrets.token_bytes(nbytes)).decode()


def rest_id(prefix='AAMkAD'):
    """An Outlook item id: base64 with '-', '_' and '=' as Graph's carry."""
    return prefix + rand_b64(105)


def immutable_id():
    return 'AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0A' + rand_b64(66)


def change_key():
    return 'DwAAABYAAA' + rand_b64(27)


def request_id():
    return str(uuid.uuid4())


def jresp(status, obj, headers=None):
    body = json.dumps(obj, ensure_ascii=False, separators=(',', ':')) + '\n' \
        if not isinstance(obj, (bytes, str)) else obj
    return Resp(status, body, ctype='application/json; odata.metadata=minimal; '
                'odata.streaming=true; IEEE754Compatible=false; charset=utf-8', headers=headers)


# Graph's error shape ("Microsoft Graph error responses and resource types"):
# {"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}
def gerr(status, code, message, headers=None, client_request_id=None):
    rid = request_id()
    inner = OrderedDict([('date', dt.datetime.fromtimestamp(now(), UTC)
                          .strftime('%Y-%m-%dT%H:%M:%S')),
                         ('request-id', rid), ('client-request-id', client_request_id or rid)])
    return jresp(status, {'error': OrderedDict(code=code, message=message, innerError=inner)},
                 headers)


class ApiError(Exception):
    def __init__(self, resp):
        Exception.__init__(self, resp.status)
        self.resp = resp


def fail(status, code, message, headers=None):
    raise ApiError(gerr(status, code, message, headers))


ID_SHAPE = re.compile(r'[A-Za-z0-9+/_=-]{16,}')


def check_id(i):
    """400 ErrorInvalidIdMalformed for what cannot be an Exchange id (not base64,
    too short: a mangled or made-up id), before any 404 of a well-formed one."""
    if not ID_SHAPE.fullmatch(i):
        fail(400, 'ErrorInvalidIdMalformed', 'Id is malformed.')


def not_found():
    fail(404, 'ErrorItemNotFound', 'The specified object was not found in the store.')


FAULT_CODES = {400: ('BadRequest', 'Bad request.'),
               401: ('InvalidAuthenticationToken', 'Access token validation failure.'),
               403: ('ErrorAccessDenied', 'Access is denied. Check credentials and try again.'),
               404: ('ErrorItemNotFound', 'The specified object was not found in the store.'),
               409: ('ErrorIrresolvableConflict', 'Conflict.'),
               412: ('ErrorIrresolvableConflict', 'The change key passed in the request does '
                     'not match the current change key for the item.'),
               429: ('TooManyRequests', 'Too many requests.'),
               500: ('generalException', 'General exception while processing.'),
               502: ('BadGateway', 'Bad gateway.'),
               503: ('serviceNotAvailable', 'The service is temporarily unavailable. '
                     'Please retry later.'),
               504: ('UnknownError', 'Gateway timeout.')}


def fault_error(status, code=None, message=None, retry_after=None):
    c, m = FAULT_CODES.get(status, ('UnknownError', 'Unknown error.'))
    hdrs = [('Retry-After', str(retry_after))] if retry_after is not None else None
    return gerr(status, code or c, message or m, hdrs)


def parse_prefer(headers):
    """Prefer header(s) -> {name: value} (RFC 7240; several headers or comma lists)."""
    out = {}
    for h in headers.get_all('Prefer') or []:
        for part in re.findall(r'(?:[^,"]|"[^"]*")+', h):
            part = part.strip()
            if not part:
                continue
            k, _, v = part.partition('=')
            out[k.strip().lower()] = v.strip().strip('"')
    return out


class User:
    def __init__(self, email, name, tenant, tz):
        self.email = email
        self.name = name
        self.tenant = tenant
        self.tz = tz            # Windows zone name of the mailbox
        self.id = str(uuid.uuid5(uuid.NAMESPACE_DNS, email))
        self.calendars = OrderedDict()   # id -> Calendar
        self.default = None

    @property
    def consumer(self):
        return self.tenant == MSA_TENANT


class Calendar:
    def __init__(self, owner, name, default=False):
        self.id = rest_id('AAMkAGI2') + 'AAAAAEGAAA='
        self.owner = owner
        self.name = name
        self.default = default
        self.change_key = change_key()
        self.color = 'auto'
        self.events = OrderedDict()   # key -> Event (masters and single instances)
        self.delta_epoch = 0
        self.delta_code = 'syncStateNotFound'


class Event:
    """One stored item: a single instance or a series master (with its exceptions)."""
    __slots__ = ('key', 'rid', 'iid', 'r', 'ext', 'cal', 'exceptions', 'cancelled_occ',
                 'seq', 'txn', 'start', 'end', 'stz', 'etz', 'created', 'modified', 'ck', 'rcache')

    def __init__(self, cal):
        self.key = secrets.token_hex(8)
        self.rid = rest_id()
        self.iid = immutable_id()
        self.r = None            # the event resource as stored (times in UTC)
        self.ext = OrderedDict()  # singleValueExtendedProperties id -> value
        self.cal = cal
        self.exceptions = {}     # originalStart (UTC iso) -> resource overrides
        self.cancelled_occ = set()
        self.seq = 0
        self.txn = None
        self.start = self.end = None   # naive wall times in stz / etz
        self.stz = self.etz = 'UTC'
        self.created = self.modified = now()
        self.ck = change_key()
        self.rcache = None


class State(BaseState):
    def reset(self):
        Clock.offset = 0.0
        super().reset()
        self.consent_user = 'alice@contoso.com'
        self.require_pkce = True
        self.old_refresh_valid = True
        self.code_lifetime = 600
        self.device_interval = 5
        self.device_expires = 900
        self.throttle = None            # {"limit":N,"window_s":S}
        self.concurrency_limit = 4
        self.batch_order = 'reverse'
        self.batch_parallel = 4
        self.page_size = 10
        self.clients = OrderedDict()
        self.users = OrderedDict()
        self.devices = {}
        self.by_id = {}      # rest id / immutable id -> Event
        self.pages = OrderedDict()   # skiptoken -> page state
        self.deltas = OrderedDict()  # deltatoken -> delta state
        self.window = {}     # mailbox -> deque of request times (throttle)
        self.inflight = {}   # mailbox -> requests being answered
        self.seed()

    def seed(self):
        self.add_client(PUBLIC_CLIENT)
        self.add_client(CONF_CLIENT, CONF_SECRET)
        self.add_user('alice@contoso.com', 'Alice Example', ORG_TENANT)
        self.add_user('bob@contoso.com', 'Bob Example', ORG_TENANT)
        self.add_user('carol@outlook.com', 'Carol Example', MSA_TENANT)
        self.add_calendar(self.users['alice@contoso.com'], 'Team')

    def add_client(self, cid, secret=None, redirect_uris=None):
        self.clients[cid] = {'client_id': cid, 'secret': secret, 'redirect_uris': redirect_uris}
        self.secret(secret)

    def add_user(self, email, name=None, tenant=ORG_TENANT, tz='W. Europe Standard Time'):
        if zone(tz) is None:
            raise ValueError('unknown time zone ' + tz)
        if email not in self.users:
            u = User(email, name or email.split('@')[0].capitalize(), tenant, tz)
            self.users[email] = u
            c = Calendar(u, 'Calendar', default=True)
            u.calendars[c.id] = c
            u.default = c
        return self.users[email]

    def add_calendar(self, user, name):
        c = Calendar(user, name)
        user.calendars[c.id] = c
        return c

    def find_calendar(self, user, cid):
        return user.calendars.get(cid)

    def cache(self, store, entry, limit=256):
        key = secrets.token_urlsafe(24)
        store[key] = entry
        while len(store) > limit:
            store.popitem(last=False)
        return key

    def throttled(self, mailbox):
        """Seconds to wait when mailbox is over the configured window, else 0."""
        t = self.throttle
        if not t or not mailbox:
            return 0
        q = self.window.setdefault(mailbox, deque())
        w = float(t.get('window_s', 600))
        ts = now()
        while q and q[0] <= ts - w:
            q.popleft()
        if len(q) >= int(t['limit']):
            return max(1, int(q[0] + w - ts + 0.999))
        q.append(ts)
        return 0
