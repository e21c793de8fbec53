"""JSON batching (POST /v1.0/$batch) of memu.

From "Combine multiple HTTP requests using JSON batching" (Graph docs):
at most 20 requests; each {id, method, url (relative to the version),
headers?, body?, dependsOn?}; the answer {"responses":[{id, status,
headers, body}]} in any order; a request whose dependency failed answers
424 Failed Dependency.  Graph "dispatches up to four individual requests
from a batch to the Outlook service simultaneously" (Microsoft Q&A, on the
MailboxConcurrency limit): independent requests run in waves of
batch_parallel, and a wave wider than the mailbox's free slots (its
concurrency_limit minus the other requests in flight) gets 429
ApplicationThrottled for the excess; a request with dependsOn runs alone.
"""
import email.message
import json
from collections import OrderedDict

from emu_server import Req
from memu_core import ApiError, fail, gerr, jresp

MAX_REQUESTS = 20


def _headers(outer, inner):
    h = email.message.Message()
    for k, v in (inner or {}).items():
        h[k] = str(v)
    if h.get('Authorization') is None and outer.get('Authorization'):
        h['Authorization'] = outer['Authorization']
    if h.get('Host') is None and outer.get('Host'):
        h['Host'] = outer['Host']
    return h


def _check(reqs):
    if not isinstance(reqs, list) or not reqs:
        fail(400, 'BadRequest', 'Invalid batch payload format.')
    if len(reqs) > MAX_REQUESTS:
        fail(400, 'BadRequest', 'Too many requests in a batch. The maximum number of requests '
             'in a batch is %d.' % MAX_REQUESTS)
    seen = set()
    for r in reqs:
        if not isinstance(r, dict) or not all(isinstance(r.get(k), str) and r.get(k)
                                              for k in ('id', 'method', 'url')):
            fail(400, 'BadRequest', 'Invalid batch payload format.')
        if not isinstance(r.get('headers', {}), dict) or \
                not isinstance(r.get('dependsOn', []), list):
            fail(400, 'BadRequest', 'Invalid batch payload format.')
        r['_key'] = r['id'].lower()   # ids are case-insensitive
        if r['_key'] in seen:
            fail(400, 'BadRequest', "Request Id '%s' must be unique within a batch."
                 % r['id'])
        if '://' in r['url']:
            fail(400, 'BadRequest', 'Invalid request: the url of request %s must be relative.'
                 % r['id'])
        for d in r.get('dependsOn') or []:
            if not isinstance(d, str) or d.lower() not in seen:
                fail(400, 'BadRequest', "Request %s depends on '%s', which is not an earlier "
                     'request of this batch.' % (r['id'], d))
        if r['method'].upper() in ('POST', 'PATCH', 'PUT') and 'body' in r and \
                not any(k.lower() == 'content-type' for k in (r.get('headers') or {})):
            fail(400, 'BadRequest', "Content-Type header must be specified for request %s."
                 % r['id'])
        seen.add(r['_key'])


def _slots(st, mbox, reqs):
    """For each request, whether it gets a concurrency slot of the mailbox."""
    par = int(st.batch_parallel or 0)
    lim = int(st.concurrency_limit or 0)
    if not par or not lim or not mbox:
        return [True] * len(reqs)
    free = lim - (st.inflight.get(mbox, 1) - 1)
    out, wave = [], 0
    for r in reqs:
        if r.get('dependsOn'):
            wave = 0
            out.append(free >= 1)
            continue
        wave = wave + 1 if wave < par else 1
        out.append(wave <= free)
    return out


def batch(st, req, graph, part_fault, mailbox):
    """Run each request of a $batch in order; graph(inner_req) answers one."""
    try:
        b = req.json()
    except ValueError:
        fail(400, 'BadRequest', 'Invalid batch payload format.')
    reqs = b.get('requests') if isinstance(b, dict) else None
    _check(reqs)
    req.batch_parts = len(reqs)
    req.parts_log = []
    req.user = mailbox(req)
    status = {}
    out = []
    slots = _slots(st, req.user, reqs)
    for r, slot_ok in zip(reqs, slots):
        url = '/v1.0/' + r['url'].lstrip('/')
        method = r['method'].upper()
        body = r.get('body')
        raw = b'' if body is None else json.dumps(body).encode()
        inner = Req(method, url, _headers(req.headers, r.get('headers')), raw)
        failed = [d for d in r.get('dependsOn') or [] if status.get(d.lower(), 500) >= 400]
        if not slot_ok:
            resp = gerr(429, 'ApplicationThrottled', 'Application is over its '
                        'MailboxConcurrency limit.', [('Retry-After', '1')])
        elif failed:
            resp = gerr(424, 'FailedDependency', 'The request could not be executed because '
                        'a request it depends on (%s) failed.' % ', '.join(failed))
        else:
            resp = part_fault(method, inner.path)
            if resp is None:
                try:
                    resp = graph(inner)
                except ApiError as e:
                    resp = e.resp
        status[r['_key']] = resp.status
        hdrs = OrderedDict()
        for k, v in resp.headers:
            hdrs[k] = v
        o = OrderedDict([('id', r['id']), ('status', resp.status), ('headers', hdrs)])
        if resp.body:
            o['body'] = json.loads(resp.body.decode())
        out.append(o)
        req.parts_log.append(OrderedDict(id=r['id'], method=method, path=inner.path,
                                         query=inner.q1, body=body, status=resp.status))
    if st.batch_order == 'reverse':
        out.reverse()
    return jresp(200, OrderedDict(responses=out))
