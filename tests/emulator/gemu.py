#!/usr/bin/env python3
"""gemu: local emulator of the Google endpoints gcal uses (OAuth 2.0 + Calendar v3).

    python3 tests/emulator/gemu.py [--port N] [--port-file FILE]
                                   [--latency-ms N] [--token-lifetime SECS]

Binds 127.0.0.1 only; serves all Google hosts' paths on one port; the test
control API lives under /_emu (see README.md).  Python standard library only.
"""
import argparse
import datetime as dt
import gc
import gzip
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse
from collections import OrderedDict
from zoneinfo import ZoneInfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import emu_calendar as capi  # noqa: E402
import emu_oauth as oauth  # noqa: E402
import emu_push as push  # noqa: E402
import emu_quota  # noqa: E402
from emu_core import (LOCK, ApiError, Ev, Resp, State, b32hex_id, fault_error,  # noqa: E402
                      fmt_local, jresp, now, parse_rfc3339, rfc3339_ms)

ST = None


class Req:
    def __init__(self, method, target, headers, body):
        self.method = method
        u = urllib.parse.urlsplit(target)
        self.path = u.path
        self.segs = [urllib.parse.unquote(s) for s in u.path.strip('/').split('/')] \
            if u.path.strip('/') else []
        self.q = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        self.q1 = {k: v[-1] for k, v in self.q.items()}
        self.headers = headers
        self.body = body or b''
        self.user = None
        self.batch_parts = None
        self.parts_log = None
        self._form = None

    def json(self):
        if not self.body.strip():
            return {}
        return json.loads(self.body.decode('utf-8'))

    def form(self):
        if self._form is None:
            ct = (self.headers.get('Content-Type') or '').lower()
            if self.body and 'json' in ct:
                try:
                    self._form = {k: str(v) for k, v in self.json().items()}
                except (ValueError, AttributeError):
                    self._form = {}
            else:
                self._form = {k: v[-1] for k, v in urllib.parse.parse_qs(
                    self.body.decode('utf-8', 'replace'), keep_blank_values=True).items()}
        return self._form


# ---------------------------------------------------------------------------
# faults
def match_fault(method, path, batch_part=False):
    with LOCK:
        for f in list(ST.faults):
            if bool(f.get('batch_part')) != batch_part:
                continue
            if f.get('method') and f['method'].upper() != method:
                continue
            if f.get('path') and not re.search(f['path'], path):
                continue
            if f.get('skip', 0) > 0:
                f['skip'] -= 1
                continue
            times = f.get('times', 1)
            if times is not None and times >= 0:
                f['times'] = times - 1
                if f['times'] <= 0:
                    ST.faults.remove(f)
            return dict(f)
    return None


def fault_resp(f):
    return fault_error(int(f.get('status', 503)), f.get('reason'), f.get('message'),
                       f.get('retry_after'))


ANSWER_SEQ = [0]


def answer_resp(f):
    """A hostile or odd answer for a client test: f['body'] (any JSON
    value) with every "{seq}" in its strings replaced by a number that is
    new on each answer, sent with f['status'] (default 200)."""
    ANSWER_SEQ[0] += 1
    n = str(ANSWER_SEQ[0])

    def fill(v):
        if isinstance(v, str):
            return v.replace('{seq}', n)
        if isinstance(v, list):
            return [fill(x) for x in v]
        if isinstance(v, dict):
            return {k: fill(x) for k, x in v.items()}
        return v
    return Resp(int(f.get('status', 200)), json.dumps(fill(f.get('body')), ensure_ascii=False))


def part_fault(method, path):
    f = match_fault(method, path, batch_part=True)
    if not f:
        return None
    if f.get('action') == 'delay':
        time.sleep(f.get('delay_ms', 1000) / 1000.0)
        return None
    return fault_resp(f)


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
    ST.log_seq += 1
    e = OrderedDict(seq=ST.log_seq, ts=rfc3339_ms(now()), method=req.method, path=req.path,
                    query={k: (v[0] if len(v) == 1 else v) for k, v in req.q.items()},
                    status=status, user=req.user, batch_parts=req.batch_parts)
    if req.path.startswith('/calendar/v3/'):
        e['body'] = capi.log_body(req)
    if getattr(req, 'parts_log', None) is not None:
        e['parts'] = req.parts_log
    if extra:
        e.update(extra)
    ST.log.append(e)
    return e


# ---------------------------------------------------------------------------
# control API (/_emu)
def cal_or_404(cid):
    cal = ST.cals.get(cid)
    if not cal:
        raise ApiError(jresp(404, {'error': 'no such calendar: ' + cid}))
    return cal


def ndjson(objs):
    return Resp(200, ''.join(json.dumps(o, separators=(',', ':')) + '\n' for o in objs),
                ctype='application/x-ndjson')


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
    if segs == ['log'] and m == 'GET':
        return ndjson(ST.log)
    if segs == ['log', 'clear'] and m == 'POST':
        ST.log = []
        return jresp(200, {'ok': True})
    if segs == ['faults']:
        if m == 'POST':
            fs = body if isinstance(body, list) else [body]
            for f in fs:
                f.setdefault('action', 'error')
                f.setdefault('times', 1)
                f.setdefault('skip', 0)
                if f['action'] == 'error':
                    f.setdefault('status', 503)
                if f.get('path'):
                    re.compile(f['path'])
                ST.faults.append(f)
            return jresp(200, {'faults': len(ST.faults)})
        if m == 'DELETE':
            ST.faults = []
            return jresp(200, {'ok': True})
        return jresp(200, ST.faults)
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
class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    # Answers go out in one write: headers and body written apart would
    # meet Nagle's algorithm and the client's delayed ACK (40 ms a request).
    wbufsize = -1

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        emu_quota.connection(ST)
    server_version = 'ESF'
    sys_version = ''

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.handle_any()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def read_body(self):
        te = (self.headers.get('Transfer-Encoding') or '').lower()
        if 'chunked' in te:
            out = []
            while True:
                line = self.rfile.readline()
                n = int(line.split(b';')[0].strip() or b'0', 16)
                if n == 0:
                    while self.rfile.readline() not in (b'\r\n', b'\n', b''):
                        pass
                    break
                out.append(self.rfile.read(n))
                self.rfile.readline()
            body = b''.join(out)
        else:
            n = int(self.headers.get('Content-Length') or 0)
            body = self.rfile.read(n) if n > 0 else b''
        if (self.headers.get('Content-Encoding') or '').lower() == 'gzip' and body:
            body = gzip.decompress(body)
        return body

    def drop(self):
        self.close_connection = True
        try:
            self.wfile.flush()
        except OSError:
            pass
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def send(self, resp, gz_ok, truncate=False):
        body = resp.body
        hdrs = list(resp.headers)
        if gz_ok and body and not truncate:
            body = gzip.compress(body, 1)
            hdrs.append(('Content-Encoding', 'gzip'))
            hdrs.append(('Vary', 'Origin, X-Origin, Referer'))
        self.send_response(resp.status, resp.reason)
        for k, v in hdrs:
            self.send_header(k, v)
        if resp.status >= 200 and not any(k.lower() == 'cache-control' for k, _ in hdrs):
            self.send_header('Cache-Control', 'no-cache, no-store, max-age=0, must-revalidate')
        length = len(body) + (100 if truncate else 0)
        if resp.status != 304:
            self.send_header('Content-Length', str(length))
        if self.close_connection:
            self.send_header('Connection', 'close')
        self.end_headers()
        if self.command != 'HEAD' and resp.status != 304:
            self.wfile.write(body[:max(0, len(body) // 2)] if truncate else body)
        self.wfile.flush()
        if truncate:
            self.drop()

    def handle_any(self):
        try:
            body = self.read_body()
        except (ValueError, OSError, EOFError):
            self.send(Resp(400, b'bad request body\n', ctype='text/plain'), False)
            return
        hdrs = self.headers
        req = Req(self.command, self.path, hdrs, body)
        gz_ok = 'gzip' in (hdrs.get('Accept-Encoding') or '').lower()
        if req.path.startswith('/_emu'):
            with LOCK:
                resp = control(req)
            self.send(resp, gz_ok)
            return
        f = match_fault(req.method, req.path)
        with LOCK:
            lat = ST.latency_ms
        if lat:
            time.sleep(lat / 1000.0)
        t0 = time.monotonic()
        action = f.get('action') if f else None
        if action == 'drop_before':
            with LOCK:
                log_entry(req, None, {'fault': 'drop_before'})
            self.drop()
            return
        if action == 'delay':
            time.sleep(f.get('delay_ms', 1000) / 1000.0)
        if action == 'error':
            if '{token}' in (f.get('message') or ''):
                # a hostile answer: the error text echoes the request's secret
                f = dict(f, message=f['message'].replace('{token}', oauth.request_secret(req)))
            resp = fault_resp(f)
        elif action == 'answer':
            resp = answer_resp(f)
        else:
            with LOCK:
                try:
                    resp = dispatch(req)
                except ApiError as e:
                    resp = e.resp
                except Exception as e:  # emulator bug: say so like a 500
                    import traceback
                    traceback.print_exc()
                    resp = fault_error(500, 'backendError', 'Backend Error (emulator: %s)' % e)
        with LOCK:
            entry = log_entry(req, None if action == 'drop_after' else resp.status,
                              {'fault': action} if action else None)
        if action == 'drop_after':
            self.drop()
            return
        if action == 'invalid_json':
            resp = Resp(resp.status if resp.status < 300 else 200,
                        resp.body[:max(1, len(resp.body) // 2)] or b'{"kind":',
                        ctype='application/json; charset=UTF-8')
        self.send(resp, gz_ok, truncate=(action == 'truncate'))
        # the emulator's own time for the answer, latency excluded (make
        # bench: what no client can go below, next to the round trips)
        with LOCK:
            entry['service_ms'] = round((time.monotonic() - t0) * 1000, 3)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main(argv=None):
    global ST
    ap = argparse.ArgumentParser(description='local Google OAuth + Calendar emulator')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--port-file')
    ap.add_argument('--latency-ms', type=int, default=0)
    ap.add_argument('--token-lifetime', type=int, default=3599)
    args = ap.parse_args(argv)
    ST = State(token_lifetime=args.token_lifetime, latency_ms=args.latency_ms)
    srv = Server(('127.0.0.1', args.port), Handler)
    port = srv.server_address[1]
    if args.port_file:
        tmp = args.port_file + '.tmp%d' % os.getpid()
        with open(tmp, 'w') as fh:
            fh.write('%d\n' % port)
        os.rename(tmp, args.port_file)
    else:
        print('gemu listening on http://127.0.0.1:%d' % port, file=sys.stderr)

    def stop(*_):
        threading.Thread(target=srv.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
