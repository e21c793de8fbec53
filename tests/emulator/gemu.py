#!/usr/bin/env python3
"""gemu: local emulator of the Google endpoints gcal uses (OAuth 2.0 + Calendar v3).

    python3 tests/emulator/gemu.py [--port N] [--port-file FILE]
                                   [--latency-ms N] [--token-lifetime SECS]

Binds 127.0.0.1 only; serves all Google hosts' paths on one port; the test
control API lives under /_emu (see README.md).  Python standard library only.
"""
import datetime as dt
import gc
import json
import os
import sys
import time
from collections import OrderedDict
from zoneinfo import ZoneInfo

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import emu_calendar as capi  # noqa: E402
import emu_oauth as oauth  # noqa: E402
import emu_push as push  # noqa: E402
import emu_quota  # noqa: E402
import emu_server as srv  # noqa: E402
from emu_server import Req  # noqa: E402,F401  (memu_batch's too)
from emu_core import (LOCK, ApiError, Ev, Resp, State, b32hex_id, fault_error,  # noqa: E402
                      fmt_local, jresp, now, parse_rfc3339, rfc3339_ms)

ST = None


# ---------------------------------------------------------------------------
# faults
def match_fault(method, path, batch_part=False):
    return srv.match_fault(ST, LOCK, method, path, batch_part)


def fault_resp(f):
    return fault_error(int(f.get('status', 503)), f.get('reason'), f.get('message'),
                       f.get('retry_after'))


def part_fault(method, path):
    return srv.part_fault(match_fault(method, path, batch_part=True), fault_resp)


# ---------------------------------------------------------------------------
def dispatch(req):
    p = req.path
    m = req.method
    if p.startswith('/calendar/v3/') or p == '/calendar/v3':
        r = push.api(ST, req)
        if r is not None:
            return r
        return capi.api(ST, req, req.segs[2:])
    if p in ('/batch/calendar/v3', '/batch') and m == 'POST':
        return capi.batch(ST, req, Req, part_fault)
    if p in ('/o/oauth2/v2/auth', '/o/oauth2/auth') and m == 'GET':
        return oauth.authorize(ST, req)
    if p in ('/token', '/o/oauth2/token', '/oauth2/v4/token') and m == 'POST':
        return oauth.token(ST, req)
    if p in ('/revoke', '/o/oauth2/revoke') and m in ('POST', 'GET'):
        return oauth.revoke(ST, req)
    if p in ('/oauth2/v3/userinfo', '/v1/userinfo', '/oauth2/v2/userinfo', '/oauth2/v1/userinfo'):
        return oauth.userinfo(ST, req)
    if p in ('/oauth2/v3/tokeninfo', '/tokeninfo', '/oauth2/v1/tokeninfo', '/oauth2/v2/tokeninfo'):
        return oauth.tokeninfo(ST, req)
    if p == '/device/code' and m == 'POST':
        return oauth.device_code(ST, req)
    return capi.nf_html()


def log_entry(req, status, extra=None):
    svc = {'body': capi.log_body(req)} if req.path.startswith('/calendar/v3/') else None
    return srv.log_entry(ST, req, status, rfc3339_ms(now()), svc, extra)


# ---------------------------------------------------------------------------
# control API (/_emu)
def cal_or_404(cid):
    cal = ST.cals.get(cid)
    if not cal:
        raise ApiError(jresp(404, {'error': 'no such calendar: ' + cid}))
    return cal


def generate(cal, spec):
    gc.disable()
    try:
        return _generate(cal, spec)
    finally:
        gc.enable()


def _generate(cal, spec):
    n = int(spec.get('count', 1))
    start = parse_rfc3339(spec.get('start', '2026-01-05T08:00:00Z')).timestamp()
    minutes = float(spec.get('minutes', 60))
    step = float(spec.get('step_minutes', 90))
    summ = spec.get('summary', 'Event %d')
    extra = spec.get('fields') or {}
    user = cal.owner
    tz = ZoneInfo(cal.tz)
    base_ts = now()
    created = rfc3339_ms(base_ts)
    org = OrderedDict(email=cal.id, self=True) if cal.primary else \
        OrderedDict(email=cal.id, displayName=cal.summary, self=True)
    creator = OrderedDict(email=user)
    if user == cal.id:
        creator['self'] = True
    for i in range(1, n + 1):
        eid = b32hex_id()
        s = start + (i - 1) * step * 60
        e = s + minutes * 60
        r = OrderedDict(kind='calendar#event', etag='', id=eid, status='confirmed',
                        htmlLink=capi.html_link(eid, cal.id), created=created, updated='',
                        summary=summ.replace('%d', str(i)) if '%d' in summ else summ)
        for k, v in extra.items():
            r[k] = v
        r['creator'] = creator
        r['organizer'] = org
        r['start'] = {'dateTime': fmt_local(dt.datetime.fromtimestamp(s, tz))}
        r['end'] = {'dateTime': fmt_local(dt.datetime.fromtimestamp(e, tz))}
        r['iCalUID'] = eid + '@google.com'
        r['sequence'] = 0
        r['reminders'] = {'useDefault': True}
        r['eventType'] = 'default'
        ev = Ev(eid)
        ev.r = capi.ordered(r) if extra else r
        ev.s, ev.e = s, e
        ST.touch(cal, ev, base_ts)
    return n


def control(req):
    segs = req.segs[1:]
    m = req.method
    try:
        body = req.json() if req.body.strip() else {}
    except ValueError:
        return jresp(400, {'error': 'body is not JSON'})
    try:
        return _control(req, segs, m, body)
    except ApiError as e:
        return e.resp
    except (KeyError, ValueError, TypeError) as e:
        return jresp(400, {'error': '%s: %s' % (type(e).__name__, e)})


def _control(req, segs, m, body):
    key = '/'.join(segs[:1])
    r = push.control(ST, segs, m, body)
    if r is None:
        r = emu_quota.control(ST, segs, m, body)
    if r is not None:
        return r
    if segs == ['reset'] and m == 'POST':
        ST.reset()
        return jresp(200, {'ok': True})
    if segs == ['config']:
        if m == 'POST':
            for k in ('token_lifetime', 'latency_ms', 'consent', 'consent_user',
                      'quota_per_minute', 'quota_status', 'id_tokens', 'secret_marker'):
                if k in body:
                    setattr(ST, k, body[k])
            if ST.consent not in ('auto', 'deny'):
                ST.consent = 'auto'
                return jresp(400, {'error': 'consent must be auto or deny'})
        return jresp(200, {k: getattr(ST, k) for k in (
            'token_lifetime', 'latency_ms', 'consent', 'consent_user', 'quota_per_minute',
            'quota_status', 'id_tokens', 'secret_marker')})
    if segs == ['users'] and m == 'POST':
        u = ST.add_user(body['email'], body.get('timeZone', 'Europe/Amsterdam'), body.get('name'))
        return jresp(200, {'email': u['email'], 'timeZone': u['tz'], 'sub': u['sub']})
    if segs == ['users'] and m == 'GET':
        return jresp(200, [{'email': u['email'], 'timeZone': u['tz']} for u in ST.users.values()])
    if segs == ['clients'] and m == 'POST':
        ST.add_client(body['client_id'], body['client_secret'], body.get('type', 'installed'))
        return jresp(200, {'client_id': body['client_id']})
    if segs == ['service-accounts'] and m == 'POST':
        oauth.register_sa(ST, body, body.get('delegation', True))
        return jresp(200, {'client_email': body['client_email'],
                           'delegation': ST.sas[body['client_email']]['delegation']})
    r = srv.control_log_faults(ST, segs, m, body, jresp)
    if r is not None:
        return r
    if segs == ['tokens', 'expire'] and m == 'POST':
        n = 0
        t = now()
        for a in ST.access.values():
            if not body.get('user') or a['user'] == body['user']:
                if a['exp'] > t:
                    a['exp'] = t - 1
                    n += 1
        return jresp(200, {'expired': n})
    if segs == ['grants', 'revoke'] and m == 'POST':
        n = 0
        for gk, g in ST.grants.items():
            if g['user'] == body['user'] and (not body.get('client_id') or
                                              g['client_id'] == body['client_id']):
                oauth.revoke_grant(ST, gk)
                n += 1
        return jresp(200, {'revoked': n})
    if segs == ['grants'] and m == 'GET':
        return jresp(200, [OrderedDict(user=g['user'], client_id=g['client_id'],
                                       scopes=g['scopes'], revoked=g['revoked'], kind=g['kind'])
                           for g in ST.grants.values()])
    if segs == ['secrets'] and m == 'GET':
        return jresp(200, list(ST.secrets))
    if segs == ['synctokens', 'invalidate'] and m == 'POST':
        for c in ST.cals.values():
            if not body.get('calendar') or c.id == body['calendar']:
                c.sync_epoch += 1
        return jresp(200, {'ok': True})
    if segs == ['calendars'] and m == 'POST':
        c = ST.add_calendar(body['owner'], body.get('summary', 'Calendar'), body.get('timeZone'),
                            client_id=body.get('client_id'), cid=body.get('id'))
        return jresp(200, c.resource())
    if segs == ['calendars'] and m == 'GET':
        return jresp(200, [OrderedDict(id=c.id, owner=c.owner, summary=c.summary,
                                       primary=c.primary, timeZone=c.tz,
                                       events=len(c.events)) for c in ST.cals.values()])
    if len(segs) == 3 and segs[0] == 'calendars' and segs[2] == 'load' and m == 'POST':
        cal = cal_or_404(segs[1])
        return jresp(200, {'loaded': capi.load_recorded(ST, cal, body)})
    if len(segs) >= 3 and segs[0] == 'calendars' and segs[2] in ('events', 'generate'):
        cal = cal_or_404('primary' in segs[1:2] and segs[1] or segs[1])
        user = cal.owner
        if segs[2] == 'generate' and m == 'POST':
            t0 = time.time()
            n = generate(cal, body)
            return jresp(200, {'created': n, 'seconds': round(time.time() - t0, 3)})
        if len(segs) == 3 and m == 'POST':
            return capi.ev_resp(capi.insert_event(ST, cal, body, user))
        if len(segs) == 3 and m == 'GET':
            return Resp(200, ''.join(ev.json + '\n' for ev in cal.events.values()),
                        ctype='application/x-ndjson')
        if len(segs) == 4 and m == 'PATCH':
            return capi.ev_resp(capi.update_event(ST, cal, segs[3], body, user, patch=True))
        if len(segs) == 4 and m == 'PUT':
            return capi.ev_resp(capi.update_event(ST, cal, segs[3], body, user))
        if len(segs) == 4 and m == 'DELETE':
            capi.delete_event(ST, cal, segs[3])
            return Resp(204, b'', ctype=None)
        if len(segs) == 4 and m == 'GET':
            ev, _ = capi.get_event_any(ST, cal, segs[3])
            if ev is None:
                return jresp(404, {'error': 'no such event'})
            return capi.ev_resp(ev)
    return jresp(404, {'error': 'unknown control endpoint', 'path': req.path, 'key': key})


# ---------------------------------------------------------------------------
class Handler(srv.Handler):
    LOCK = LOCK
    ApiError = ApiError

    def setup(self):
        super().setup()
        emu_quota.connection(ST)

    server_version = 'ESF'
    VARY = 'Origin, X-Origin, Referer'
    INVALID_JSON = b'{"kind":'
    JSON_CTYPE = 'application/json; charset=UTF-8'

    def state(self):
        return ST

    def dispatch(self, req):
        return dispatch(req)

    def control(self, req):
        return control(req)

    def fault_resp(self, f):
        return fault_resp(f)

    def bug_resp(self, e):
        return fault_error(500, 'backendError', 'Backend Error (emulator: %s)' % e)

    def log_entry(self, req, status, extra=None):
        return log_entry(req, status, extra)

    def request_secret(self, req):
        return oauth.request_secret(req)

    def cache_control(self, resp):
        return 'no-cache, no-store, max-age=0, must-revalidate' if resp.status >= 200 else None


def main(argv=None):
    global ST
    ap = srv.arg_parser('local Google OAuth + Calendar emulator')
    args = ap.parse_args(argv)
    ST = State(token_lifetime=args.token_lifetime, latency_ms=args.latency_ms)
    return srv.serve('gemu', Handler, args.port, args.port_file)


if __name__ == '__main__':
    sys.exit(main())
