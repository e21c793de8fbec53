#!/usr/bin/env python3
"""memu: local emulator of the Microsoft endpoints gcal uses (identity platform v2.0 + Graph v1.0).

    python3 tests/emulator/memu.py [--port N] [--port-file FILE]
                                   [--latency-ms N] [--token-lifetime SECS]

Binds 127.0.0.1 only; serves login.microsoftonline.com's and
graph.microsoft.com's paths on one port; the test control API lives under
/_emu (see README.md, "Microsoft").  Python standard library only.
"""
import argparse
import gzip
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import traceback
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import memu_batch as mbatch  # noqa: E402
import memu_control as mctl  # noqa: E402
import memu_graph as mg  # noqa: E402
import memu_oauth as oauth  # noqa: E402
from emu_core import Resp  # noqa: E402
from gemu import Req, answer_resp  # noqa: E402  (generic request object, odd answers)
from memu_core import (LOCK, ApiError, State, fault_error, gerr, iso_utc,  # noqa: E402
                       now, request_id)

ST = None
OAUTH_PATH = re.compile(r'/([^/]+)/oauth2/v2\.0/(authorize|token|devicecode)')


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
    return fault_error(int(f.get('status', 503)), f.get('code'), f.get('message'),
                       f.get('retry_after'))


def throttle_resp(wait, concurrency=False):
    if concurrency:
        return gerr(429, 'ApplicationThrottled', 'Application is over its MailboxConcurrency '
                    'limit.', [('Retry-After', str(wait))])
    return gerr(429, 'ApplicationThrottled', 'Application is over its '
                'MailboxLimit limit. Please retry after %d seconds.' % wait,
                [('Retry-After', str(wait))])


def graph(req):
    """A Graph request (not $batch): throttle window, then the resource."""
    segs = req.segs[1:]
    mbox = mailbox(req)
    wait = ST.throttled(mbox)
    if wait:
        req.user = mbox
        return throttle_resp(wait)
    r = mg.api(ST, req, segs)
    if r is None:
        return mg.no_route(req)
    return r


def dispatch(req):
    p, m = req.path, req.method
    if p == '/v1.0/$batch' and m == 'POST':
        return mbatch.batch(ST, req, graph, part_fault, mailbox)
    if p.startswith('/v1.0/'):
        return graph(req)
    mo = OAUTH_PATH.fullmatch(p)
    if mo:
        tenant, ep = mo.group(1), mo.group(2)
        if ep == 'authorize' and m == 'GET':
            return oauth.authorize(ST, req, tenant)
        if ep == 'token' and m == 'POST':
            return oauth.token(ST, req, tenant)
        if ep == 'devicecode' and m == 'POST':
            return oauth.devicecode(ST, req, tenant)
        if ep in ('token', 'devicecode') and m != 'OPTIONS':
            return oauth.not_post(req)
    return Resp(404, '<html><body>404 Not Found</body></html>\n', ctype='text/html')


def part_fault(method, path):
    f = match_fault(method, path, batch_part=True)
    if not f:
        return None
    if f.get('action') == 'delay':
        time.sleep(f.get('delay_ms', 1000) / 1000.0)
        return None
    return fault_resp(f)


def mailbox(req):
    """The mailbox (user email) a request's bearer token is for, or None."""
    a = req.headers.get('Authorization') or ''
    g = ST.access.get(a[7:].strip()) if a.lower().startswith('bearer ') else None
    return g['user'] if g else None


def log_body(req):
    if not req.path.startswith('/v1.0/') or not req.body.strip():
        return None
    try:
        return json.loads(req.body.decode('utf-8'))
    except ValueError:
        return req.body.decode('utf-8', 'replace')


def log_entry(req, status, extra=None):
    ST.log_seq += 1
    e = OrderedDict(seq=ST.log_seq, ts=iso_utc(now()), method=req.method, path=req.path,
                    query={k: (v[0] if len(v) == 1 else v) for k, v in req.q.items()},
                    status=status, user=req.user, batch_parts=req.batch_parts)
    if req.path.startswith('/v1.0/'):
        e['body'] = log_body(req)
        e['prefer'] = req.headers.get_all('Prefer') or []
        e['if_match'] = req.headers.get('If-Match')
    if req.parts_log is not None:
        e['parts'] = req.parts_log
    if extra:
        e.update(extra)
    ST.log.append(e)
    return e


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    wbufsize = -1
    server_version = 'Microsoft-IIS/10.0'
    sys_version = ''

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

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

    def send(self, resp, gz_ok, truncate=False, req=None):
        body = resp.body
        hdrs = list(resp.headers)
        if gz_ok and body and not truncate:
            body = gzip.compress(body, 1)
            hdrs.append(('Content-Encoding', 'gzip'))
            hdrs.append(('Vary', 'Accept-Encoding'))
        self.send_response(resp.status, resp.reason)
        for k, v in hdrs:
            self.send_header(k, v)
        if req is not None and req.path.startswith('/v1.0/'):
            crid = req.headers.get('client-request-id')
            rid = request_id()
            self.send_header('request-id', rid)
            self.send_header('client-request-id', crid or rid)
            self.send_header('x-ms-ags-diagnostic', '{"ServerInfo":{"DataCenter":"Local"}}')
            self.send_header('OData-Version', '4.0')
        if not any(k.lower() == 'cache-control' for k, _ in hdrs):
            self.send_header('Cache-Control', 'private')
        length = len(body) + (100 if truncate else 0)
        if resp.status not in (204, 304) or body:
            self.send_header('Content-Length', str(length))
        if self.close_connection:
            self.send_header('Connection', 'close')
        self.end_headers()
        if self.command != 'HEAD':
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
        req = Req(self.command, self.path, self.headers, body)
        gz_ok = 'gzip' in (self.headers.get('Accept-Encoding') or '').lower()
        if req.path.startswith('/_emu'):
            with LOCK:
                resp = mctl.control(ST, req)
            self.send(resp, gz_ok)
            return
        with LOCK:
            mbox = mailbox(req) if req.path.startswith('/v1.0/') else None
            if mbox:
                ST.inflight[mbox] = ST.inflight.get(mbox, 0) + 1
                over = ST.concurrency_limit and ST.inflight[mbox] > ST.concurrency_limit
            else:
                over = False
        try:
            self.answer(req, gz_ok, over, mbox)
        finally:
            if mbox:
                with LOCK:
                    ST.inflight[mbox] -= 1

    def answer(self, req, gz_ok, over, mbox):
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
        if over:
            req.user = mbox
            resp = throttle_resp(1, concurrency=True)
        elif action == 'error':
            if '{token}' in (f.get('message') or ''):
                f = dict(f, message=f['message'].replace('{token}', oauth.request_secret(req)))
            resp = fault_resp(f)
        elif action == 'answer':
            resp = answer_resp(f)   # body as given, each "{seq}" a new number
        else:
            with LOCK:
                try:
                    resp = dispatch(req)
                except ApiError as e:
                    resp = e.resp
                except Exception as e:  # emulator bug: say so like a 500
                    traceback.print_exc()
                    resp = fault_error(500, 'generalException', 'emulator: %s' % e)
        with LOCK:
            entry = log_entry(req, None if action == 'drop_after' else resp.status,
                              {'fault': action} if action else None)
        if action == 'drop_after':
            self.drop()
            return
        if action == 'invalid_json':
            resp = Resp(resp.status if resp.status < 300 else 200,
                        resp.body[:max(1, len(resp.body) // 2)] or b'{"value":',
                        ctype='application/json')
        self.send(resp, gz_ok, truncate=(action == 'truncate'), req=req)
        with LOCK:
            entry['service_ms'] = round((time.monotonic() - t0) * 1000, 3)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def watch_parent(ppid, stop):
    while os.getppid() == ppid:
        time.sleep(0.3)
    stop()


def main(argv=None):
    global ST
    ap = argparse.ArgumentParser(description='local Microsoft identity + Graph emulator')
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--port-file')
    ap.add_argument('--latency-ms', type=int, default=0)
    ap.add_argument('--token-lifetime', type=int, default=3599)
    ap.add_argument('--exit-with-parent', action='store_true',
                    help='stop when the process that started memu ends (a test killed, '
                    'or another EXIT trap set over lib-graph.sh\'s)')
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
        print('memu listening on http://127.0.0.1:%d' % port, file=sys.stderr)

    def stop(*_):
        threading.Thread(target=srv.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.exit_with_parent:
        threading.Thread(target=watch_parent, args=(os.getppid(), stop), daemon=True).start()
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
