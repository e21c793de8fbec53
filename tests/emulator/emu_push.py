"""Push notifications of the emulator: events.watch, channels.stop, and the
notifications themselves, POSTed to each channel's address.

Reference: "Push notifications",
https://developers.google.com/workspace/calendar/api/guides/push
 - watch body: id (unique, at most 64 characters), type "web_hook",
   address (HTTPS), optional token (at most 256) and params.ttl (seconds);
   the answer: kind api#channel, id, resourceId, resourceUri, token,
   expiration (ms, an int64 in a string: discovery, Channel.expiration)
 - a "sync" message first, which may arrive before the watch answer
 - each change: "exists" (or "not_exists") with the X-Goog-* headers and
   no body; message numbers grow but are not consecutive
 - 200, 201, 202, 204 or 102 are success; 500, 502, 503, 504 are retried
   with exponential backoff; anything else is a failed message
 - channels.stop {id, resourceId}; there is no renew
 - "Notifications are not 100% reliable": a knob drops or delays them

Control (under /_emu/push, see README.md): GET the channels and the log of
deliveries; POST config {"allow_http", "drop", "delay_ms"}; POST expire
{"id"} (every channel without one).
"""
import hashlib
import http.client
import re
import secrets
import ssl
import threading
import time
import urllib.parse
from collections import OrderedDict
from email.utils import formatdate

import emu_calendar as capi
import emu_core
from emu_core import LOCK, SCOPE_PREFIX, Resp, fail, jresp, now

# calendar.events.watch scopes (discovery document)
WATCH_SCOPES = {SCOPE_PREFIX + x for x in (
    'calendar', 'calendar.app.created', 'calendar.events', 'calendar.events.freebusy',
    'calendar.events.owned', 'calendar.events.owned.readonly',
    'calendar.events.public.readonly', 'calendar.events.readonly', 'calendar.readonly')}
ID_RE = re.compile(r'[A-Za-z0-9\-_+/=]+')
DEFAULT_TTL = 604800          # a week: see README, deviations
MAX_TTL = 30 * 86400
RETRY_STATUSES = (500, 502, 503, 504)
OK_STATUSES = (102, 200, 201, 202, 204)


def reset(st):
    st.push = {'channels': OrderedDict(), 'log': [], 'allow_http': False, 'drop': 0,
               'delay_ms': 0, 'queue': [], 'cv': threading.Condition(LOCK)}
    _start_sender(st)


def resource_id(cal):
    # opaque and stable for the watched collection
    return hashlib.sha256(('events:' + cal.id).encode()).hexdigest()[:27]


def bad(msg, reason='invalid', **kw):
    fail(400, reason, msg, **kw)


def watch(st, req, a, cid):
    capi.check_scope(a, WATCH_SCOPES, 'calendar.v3.Events.Watch')
    cal = capi.get_cal(st, a, cid)
    capi.check_scope(a, WATCH_SCOPES, 'calendar.v3.Events.Watch', cal)
    body = capi.json_body(req)
    cid_ = body.get('id')
    if not cid_:
        fail(400, 'required', 'Required', location='id', location_type='parameter')
    if not isinstance(cid_, str) or len(cid_) > 64 or not ID_RE.fullmatch(cid_):
        bad('Channel id must match [A-Za-z0-9\\-_\\+/=]+', reason='channelIdInvalid')
    P = st.push
    old = P['channels'].get(cid_)
    if old and not old['stopped']:
        bad('Channel id not unique', reason='channelIdNotUnique')
    typ = body.get('type')
    if not typ:
        fail(400, 'required', 'Required', location='type', location_type='parameter')
    if typ not in ('web_hook', 'webhook'):
        bad('Invalid value for: type', reason='invalid')
    addr = body.get('address')
    if not addr:
        fail(400, 'required', 'Required', location='address', location_type='parameter')
    u = urllib.parse.urlsplit(addr) if isinstance(addr, str) else None
    if u is None or u.scheme not in ('https', 'http') or not u.hostname:
        bad('Invalid value for: address', reason='invalid')
    if u.scheme != 'https' and not P['allow_http']:
        bad('WebHook callback must be HTTPS: ' + addr, reason='push.webhookUrlNotHttps')
    tok = body.get('token')
    if tok is not None and (not isinstance(tok, str) or len(tok) > 256):
        bad('Invalid value for: token', reason='invalid')
    params = body.get('params') or {}
    if not isinstance(params, dict):
        bad('Invalid value for: params', reason='invalid')
    ttl = DEFAULT_TTL
    if 'ttl' in params:
        try:
            ttl = int(params['ttl'])
            if ttl <= 0:
                raise ValueError
        except (TypeError, ValueError):
            bad('Invalid value for: params.ttl', reason='invalid')
        ttl = min(ttl, MAX_TTL)
    exp_ms = int((now() + ttl) * 1000)
    if body.get('expiration') is not None:
        try:
            exp_ms = min(exp_ms, int(body['expiration']))
        except (TypeError, ValueError):
            bad('Invalid value for: expiration', reason='invalid')
    ch = OrderedDict(id=cid_, token=tok, address=addr, cal=cal.id, user=a['user'],
                     resourceId=resource_id(cal),
                     resourceUri='https://www.googleapis.com/calendar/v3/calendars/%s/events'
                     '?alt=json' % urllib.parse.quote(cal.id, safe=''),
                     expiration=exp_ms, msgno=0, pending=False, stopped=False)
    P['channels'][cid_] = ch
    st.secret(tok)
    # the sync message goes out at once: it may come before this answer
    _enqueue(st, ch, 'sync')
    out = OrderedDict(kind='api#channel', id=cid_, resourceId=ch['resourceId'],
                      resourceUri=ch['resourceUri'])
    if tok is not None:
        out['token'] = tok
    out['expiration'] = str(exp_ms)
    return jresp(200, out)


def stop(st, req, a):
    body = capi.json_body(req)
    ch = st.push['channels'].get(body.get('id'))
    if (not ch or ch['stopped'] or ch['resourceId'] != body.get('resourceId') or
            ch['user'] != a['user']):
        fail(404, 'notFound', 'Channel \'%s\' not found' % body.get('id'))
    ch['stopped'] = True
    return Resp(204, b'', ctype=None)


def api(st, req):
    """The watch and stop calls, or None for any other request."""
    segs = req.segs
    if req.method != 'POST' or len(segs) < 2 or segs[:2] != ['calendar', 'v3']:
        return None
    segs = segs[2:]
    is_watch = len(segs) == 4 and segs[0] == 'calendars' and segs[2:] == ['events', 'watch']
    is_stop = segs == ['channels', 'stop']
    if not (is_watch or is_stop):
        return None
    return capi.serve(st, req, lambda a: watch(st, req, a, segs[1]) if is_watch
                      else stop(st, req, a))


def live(ch):
    return not ch['stopped'] and ch['expiration'] > now() * 1000


def on_change(st, cal):
    """A change of cal (emu_core.touch): one notification per live channel,
    coalesced while one is still waiting to go out."""
    P = getattr(st, 'push', None)
    if not P:
        return
    for ch in P['channels'].values():
        if ch['cal'] == cal.id and live(ch) and not ch['pending']:
            _enqueue(st, ch, 'exists')


def on_gone(st, cal):
    """cal was deleted: its channels are told "not_exists" (guide, "Understand
    the notification message format": the resource no longer exists), then
    end, since nothing is left to watch."""
    P = getattr(st, 'push', None)
    if not P:
        return
    for ch in P['channels'].values():
        if ch['cal'] == cal.id and live(ch):
            _enqueue(st, ch, 'not_exists')
            ch['gone'] = True


def _enqueue(st, ch, state):
    P = st.push
    # numbers grow but are not consecutive (guide: X-Goog-Message-Number)
    ch['msgno'] = 1 if state == 'sync' else ch['msgno'] + 1 + secrets.randbelow(3)
    ch['pending'] = state != 'sync'
    drop = P['drop'] > 0 and state != 'sync'
    if drop:
        P['drop'] -= 1
    P['queue'].append((now() + P['delay_ms'] / 1000.0, ch, state, ch['msgno'], drop))
    P['cv'].notify()


def _start_sender(st):
    P = st.push
    t = threading.Thread(target=_sender, args=(st, P), daemon=True)
    t.start()


def _sender(st, P):
    while True:
        with LOCK:
            while True:
                if st.push is not P:
                    return      # reset: a new sender serves the new state
                q = P['queue']
                if q:
                    q.sort(key=lambda x: x[0])
                    wait = q[0][0] - now()
                    if wait <= 0:
                        item = q.pop(0)
                        break
                    P['cv'].wait(wait)
                else:
                    P['cv'].wait(1.0)
            at, ch, state, n, drop = item
            if state != 'sync':
                ch['pending'] = False
            if not live(ch) and state != 'sync':
                continue
            if ch.get('gone') and state == 'not_exists':
                ch['stopped'] = True    # the last message of its channel
            hdrs = [('X-Goog-Channel-ID', ch['id']),
                    ('X-Goog-Channel-Expiration',
                     formatdate(ch['expiration'] / 1000.0, usegmt=True)),
                    ('X-Goog-Resource-ID', ch['resourceId']),
                    ('X-Goog-Resource-URI', ch['resourceUri']),
                    ('X-Goog-Resource-State', state),
                    ('X-Goog-Message-Number', str(n))]
            if ch['token'] is not None:
                hdrs.insert(1, ('X-Goog-Channel-Token', ch['token']))
            entry = OrderedDict(ts=now(), channel=ch['id'], state=state, number=n,
                                dropped=drop, status=None)
            P['log'].append(entry)
            addr = ch['address']
        if drop:
            continue
        for attempt in range(4):
            status = _post(addr, hdrs)
            if status not in RETRY_STATUSES:
                break
            time.sleep(0.2 * 2 ** attempt)
        with LOCK:
            entry['status'] = status
            entry['done'] = now()
            entry['ok'] = status in OK_STATUSES


def _post(addr, hdrs):
    u = urllib.parse.urlsplit(addr)
    path = (u.path or '/') + ('?' + u.query if u.query else '')
    try:
        if u.scheme == 'https':
            c = http.client.HTTPSConnection(u.hostname, u.port or 443, timeout=10,
                                            context=ssl.create_default_context())
        else:
            c = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=10)
        c.putrequest('POST', path, skip_accept_encoding=True)
        for k, v in hdrs:
            c.putheader(k, v)
        c.putheader('Content-Type', 'application/json; utf-8')
        c.putheader('Content-Length', '0')
        c.putheader('User-Agent', 'APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)')
        c.endheaders()
        r = c.getresponse()
        r.read()
        c.close()
        return r.status
    except (OSError, http.client.HTTPException):
        return 0


def control(st, segs, m, body):
    """/_emu/push/...; None when not ours."""
    if not segs or segs[0] != 'push':
        return None
    P = st.push
    if segs == ['push'] and m == 'GET':
        return jresp(200, {
            'channels': [OrderedDict((k, v) for k, v in ch.items() if k != 'token')
                         for ch in P['channels'].values()],
            'log': P['log']})
    if segs == ['push', 'config'] and m == 'POST':
        for k in ('allow_http', 'drop', 'delay_ms'):
            if k in body:
                P[k] = body[k]
        return jresp(200, {k: P[k] for k in ('allow_http', 'drop', 'delay_ms')})
    if segs == ['push', 'expire'] and m == 'POST':
        n = 0
        for ch in P['channels'].values():
            if (not body.get('id') or ch['id'] == body['id']) and live(ch):
                ch['expiration'] = int(now() * 1000) - 1
                n += 1
        return jresp(200, {'expired': n})
    if segs == ['push', 'log', 'clear'] and m == 'POST':
        P['log'] = []
        return jresp(200, {'ok': True})
    return None


emu_core.CHANGE_HOOKS.append(on_change)
emu_core.GONE_HOOKS.append(on_gone)
emu_core.RESET_HOOKS.append(reset)
