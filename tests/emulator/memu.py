#!/usr/bin/env python3
"""memu: local emulator of the Microsoft endpoints gcal uses (identity platform v2.0 + Graph v1.0).

    python3 tests/emulator/memu.py [--port N] [--port-file FILE]
                                   [--latency-ms N] [--token-lifetime SECS]

Binds 127.0.0.1 only; serves login.microsoftonline.com's and
graph.microsoft.com's paths on one port; the test control API lives under
/_emu (see README.md, "Microsoft").  Python standard library only.
"""
import json
import os
import re
import sys
from collections import OrderedDict

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import emu_server as srv  # noqa: E402
import memu_batch as mbatch  # noqa: E402
import memu_control as mctl  # noqa: E402
import memu_graph as mg  # noqa: E402
import memu_oauth as oauth  # noqa: E402
from emu_core import Resp  # noqa: E402
from memu_core import (LOCK, ApiError, State, fault_error, gerr, iso_utc,  # noqa: E402
                       now, request_id)

ST = None
OAUTH_PATH = re.compile(r'/([^/]+)/oauth2/v2\.0/(authorize|token|devicecode)')


def match_fault(method, path, batch_part=False):
    return srv.match_fault(ST, LOCK, method, path, batch_part)


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
    return srv.part_fault(match_fault(method, path, batch_part=True), fault_resp)


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
    svc = None
    if req.path.startswith('/v1.0/'):
        svc = OrderedDict(body=log_body(req), prefer=req.headers.get_all('Prefer') or [],
                          if_match=req.headers.get('If-Match'))
    return srv.log_entry(ST, req, status, iso_utc(now()), svc, extra)


class Handler(srv.Handler):
    LOCK = LOCK
    ApiError = ApiError
    server_version = 'Microsoft-IIS/10.0'
    VARY = 'Accept-Encoding'
    INVALID_JSON = b'{"value":'
    JSON_CTYPE = 'application/json'

    def state(self):
        return ST

    def dispatch(self, req):
        return dispatch(req)

    def control(self, req):
        return mctl.control(ST, req)

    def fault_resp(self, f):
        return fault_resp(f)

    def bug_resp(self, e):
        return fault_error(500, 'generalException', 'emulator: %s' % e)

    def log_entry(self, req, status, extra=None):
        return log_entry(req, status, extra)

    def request_secret(self, req):
        return oauth.request_secret(req)

    def cache_control(self, resp):
        return 'private'

    def has_length(self, resp, body):
        return resp.status not in (204, 304) or bool(body)

    def has_body(self, resp):
        return True

    def service_headers(self, req):
        if not req.path.startswith('/v1.0/'):
            return []
        crid = req.headers.get('client-request-id')
        rid = request_id()
        return [('request-id', rid), ('client-request-id', crid or rid),
                ('x-ms-ags-diagnostic', '{"ServerInfo":{"DataCenter":"Local"}}'),
                ('OData-Version', '4.0')]

    def answer(self, req, gz_ok, early=None):
        """Graph's answer, or 429 when the mailbox has more requests in
        flight than concurrency_limit."""
        with LOCK:
            mbox = mailbox(req) if req.path.startswith('/v1.0/') else None
            if mbox:
                ST.inflight[mbox] = ST.inflight.get(mbox, 0) + 1
                over = ST.concurrency_limit and ST.inflight[mbox] > ST.concurrency_limit
            else:
                over = False

        def throttle():
            if not over:
                return None
            req.user = mbox
            return throttle_resp(1, concurrency=True)
        try:
            super().answer(req, gz_ok, early=throttle)
        finally:
            if mbox:
                with LOCK:
                    ST.inflight[mbox] -= 1


def main(argv=None):
    global ST
    ap = srv.arg_parser('local Microsoft identity + Graph emulator')
    ap.add_argument('--exit-with-parent', action='store_true',
                    help='stop when the process that started memu ends (a test killed, '
                    'or another EXIT trap set over lib-graph.sh\'s)')
    args = ap.parse_args(argv)
    ST = State(token_lifetime=args.token_lifetime, latency_ms=args.latency_ms)
    return srv.serve('memu', Handler, args.port, args.port_file, args.exit_with_parent)


if __name__ == '__main__':
    sys.exit(main())
