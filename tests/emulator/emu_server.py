"""emu_server: the HTTP server core both emulators share (gemu, memu).

The request object, the test-injected faults (matching, odd answers, the
/_emu/faults list), a Handler that reads bodies (chunked, gzip), answers
in one write and plays faults around the emulator's own dispatch, and the
serve loop (port file, signals).  Each emulator subclasses Handler and
sets what its service does differently (headers, error texts).
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
import urllib.parse
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from emu_core import Resp


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
def match_fault(st, lock, method, path, batch_part=False):
    """The first of st.faults that matches (a copy), counted down; or None."""
    with lock:
        for f in list(st.faults):
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
                    st.faults.remove(f)
            return dict(f)
    return None


def part_fault(f, fault_resp):
    """What a matched batch-part fault f does: None after a delay (the part
    is then answered), else fault_resp(f)."""
    if not f:
        return None
    if f.get('action') == 'delay':
        time.sleep(f.get('delay_ms', 1000) / 1000.0)
        return None
    return fault_resp(f)


def ndjson(objs):
    return Resp(200, ''.join(json.dumps(o, separators=(',', ':')) + '\n' for o in objs),
                ctype='application/x-ndjson')


def control_log_faults(st, segs, m, body, jresp):
    """/_emu/log (GET; POST log/clear) and /_emu/faults (POST adds one or
    a list, DELETE clears, GET lists), answered with the emulator's jresp;
    None for any other request."""
    if segs == ['log'] and m == 'GET':
        return ndjson(st.log)
    if segs == ['log', 'clear'] and m == 'POST':
        st.log = []
        return jresp(200, {'ok': True})
    if segs != ['faults']:
        return None
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
            st.faults.append(f)
        return jresp(200, {'faults': len(st.faults)})
    if m == 'DELETE':
        st.faults = []
        return jresp(200, {'ok': True})
    return jresp(200, st.faults)


def log_entry(st, req, status, ts, service=None, extra=None):
    """Append a request's entry to st.log: its number, time ts, method,
    path, query, status, user and batch parts, then the service's own
    fields, the parts' entries, and extra (a fault's name); returns it."""
    st.log_seq += 1
    e = OrderedDict(seq=st.log_seq, ts=ts, method=req.method, path=req.path,
                    query={k: (v[0] if len(v) == 1 else v) for k, v in req.q.items()},
                    status=status, user=req.user, batch_parts=req.batch_parts)
    if service:
        e.update(service)
    if req.parts_log is not None:
        e['parts'] = req.parts_log
    if extra:
        e.update(extra)
    st.log.append(e)
    return e


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


# ---------------------------------------------------------------------------
class Handler(BaseHTTPRequestHandler):
    """A subclass sets LOCK, VARY, INVALID_JSON (the start of a cut answer
    when there is no body to cut), JSON_CTYPE, and the methods state(),
    dispatch(req), control(req), fault_resp(f), bug_resp(e), log_entry(),
    request_secret(req), cache_control(resp), service_headers(req)."""
    protocol_version = 'HTTP/1.1'
    # Answers go out in one write: headers and body written apart would
    # meet Nagle's algorithm and the client's delayed ACK (40 ms a request).
    wbufsize = -1
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

    def has_length(self, resp, body):
        return resp.status != 304

    def has_body(self, resp):
        return resp.status != 304

    def service_headers(self, req):
        return []

    def send(self, resp, gz_ok, truncate=False, req=None):
        body = resp.body
        hdrs = list(resp.headers)
        if gz_ok and body and not truncate:
            body = gzip.compress(body, 1)
            hdrs.append(('Content-Encoding', 'gzip'))
            hdrs.append(('Vary', self.VARY))
        self.send_response(resp.status, resp.reason)
        for k, v in hdrs + (self.service_headers(req) if req is not None else []):
            self.send_header(k, v)
        cc = self.cache_control(resp)
        if cc and not any(k.lower() == 'cache-control' for k, _ in hdrs):
            self.send_header('Cache-Control', cc)
        length = len(body) + (100 if truncate else 0)
        if self.has_length(resp, body):
            self.send_header('Content-Length', str(length))
        if self.close_connection:
            self.send_header('Connection', 'close')
        self.end_headers()
        if self.command != 'HEAD' and self.has_body(resp):
            self.wfile.write(body[:max(0, len(body) // 2)] if truncate else body)
        self.wfile.flush()
        if truncate:
            self.drop()

    def read_request(self):
        """The request, or None when its body could not be read (answered)."""
        try:
            body = self.read_body()
        except (ValueError, OSError, EOFError):
            self.send(Resp(400, b'bad request body\n', ctype='text/plain'), False)
            return None
        return Req(self.command, self.path, self.headers, body)

    def handle_any(self):
        req = self.read_request()
        if req is None:
            return
        gz_ok = 'gzip' in (self.headers.get('Accept-Encoding') or '').lower()
        if req.path.startswith('/_emu'):
            with self.LOCK:
                resp = self.control(req)
            self.send(resp, gz_ok)
            return
        self.answer(req, gz_ok)

    # Why this is long: it is the one place where a fault meets the request
    # in the order a test relies on (latency, drop before, delay, the
    # answer, the log entry, drop after, a cut answer, service_ms).
    def answer(self, req, gz_ok, early=None):
        """Answer req, faults played around dispatch; early() may give an
        answer that comes before the service's own (a throttle)."""
        st, lock = self.state(), self.LOCK
        f = match_fault(st, lock, req.method, req.path)
        with lock:
            lat = st.latency_ms
        if lat:
            time.sleep(lat / 1000.0)
        t0 = time.monotonic()
        action = f.get('action') if f else None
        if action == 'drop_before':
            with lock:
                self.log_entry(req, None, {'fault': 'drop_before'})
            self.drop()
            return
        if action == 'delay':
            time.sleep(f.get('delay_ms', 1000) / 1000.0)
        resp = early() if early else None
        if resp is not None:
            pass
        elif action == 'error':
            if '{token}' in (f.get('message') or ''):
                # a hostile answer: the error text echoes the request's secret
                f = dict(f, message=f['message'].replace('{token}', self.request_secret(req)))
            resp = self.fault_resp(f)
        elif action == 'answer':
            resp = answer_resp(f)   # body as given, each "{seq}" a new number
        else:
            with lock:
                try:
                    resp = self.dispatch(req)
                except self.ApiError as e:
                    resp = e.resp
                except Exception as e:  # emulator bug: say so like a 500
                    traceback.print_exc()
                    resp = self.bug_resp(e)
        with lock:
            entry = self.log_entry(req, None if action == 'drop_after' else resp.status,
                                   {'fault': action} if action else None)
        if action == 'drop_after':
            self.drop()
            return
        if action == 'invalid_json':
            resp = Resp(resp.status if resp.status < 300 else 200,
                        resp.body[:max(1, len(resp.body) // 2)] or self.INVALID_JSON,
                        ctype=self.JSON_CTYPE)
        self.send(resp, gz_ok, truncate=(action == 'truncate'), req=req)
        # the emulator's own time for the answer, latency excluded (make
        # bench: what no client can go below, next to the round trips)
        with lock:
            entry['service_ms'] = round((time.monotonic() - t0) * 1000, 3)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def watch_parent(ppid, stop):
    while os.getppid() == ppid:
        time.sleep(0.3)
    stop()


def arg_parser(description):
    """The command line both emulators take (see their usage lines)."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument('--port', type=int, default=0)
    ap.add_argument('--port-file')
    ap.add_argument('--latency-ms', type=int, default=0)
    ap.add_argument('--token-lifetime', type=int, default=3599)
    return ap


def serve(name, handler, port, port_file, exit_with_parent=False):
    """Serve on 127.0.0.1:port (0: any) until SIGTERM or SIGINT (or the
    parent's end); the port goes to port_file (atomically) or stderr."""
    srv = Server(('127.0.0.1', port), handler)
    port = srv.server_address[1]
    if port_file:
        tmp = port_file + '.tmp%d' % os.getpid()
        with open(tmp, 'w') as fh:
            fh.write('%d\n' % port)
        os.rename(tmp, port_file)
    else:
        print('%s listening on http://127.0.0.1:%d' % (name, port), file=sys.stderr)

    def stop(*_):
        threading.Thread(target=srv.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if exit_with_parent:
        threading.Thread(target=watch_parent, args=(os.getppid(), stop), daemon=True).start()
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
    return 0
