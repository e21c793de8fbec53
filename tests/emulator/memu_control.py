"""The test control API of memu (/_emu/...): config, seed data, faults, log, clock.

JSON in and out, no authentication, not logged, no latency.  README.md,
section "Microsoft", lists every request.
"""
import datetime as dt
import time
from collections import OrderedDict

import emu_server as srv
import memu_events as mev
import memu_oauth as oauth
import memu_view
from memu_core import (MSA_TENANT, ORG_TENANT, PUBLIC_CLIENT, ApiError, Clock, change_key,
                       jresp, now, parse_local, parse_offset_time, zone)

CONFIG = ('token_lifetime', 'latency_ms', 'consent', 'consent_user', 'require_pkce',
          'old_refresh_valid', 'code_lifetime', 'device_interval', 'device_expires',
          'secret_marker', 'throttle', 'concurrency_limit', 'batch_order', 'batch_parallel',
          'page_size')


class _Ctx:
    """A context for hand edits: the owner, in UTC, with REST ids."""

    def __init__(self, st, user):
        self.st, self.user = st, user
        self.tzname = None
        self.body_type = None
        self.immutable = False
        self.select = None
        self.expand_ids = None


def err(status, msg):
    raise ApiError(jresp(status, {'error': msg}))


def find_event(st, eid):
    ev = st.by_id.get(eid)
    if ev is None:
        err(404, 'no such event: ' + eid)
    return ev


def find_cal(st, cid):
    for u in st.users.values():
        if cid in u.calendars:
            return u.calendars[cid]
        if cid == u.email:
            return u.default
    err(404, 'no such calendar: ' + cid)


def control(st, req):
    try:
        body = req.json() if req.body.strip() else {}
    except ValueError:
        return jresp(400, {'error': 'body is not JSON'})
    try:
        return _control(st, req.segs[1:], req.method, body, req.q1)
    except ApiError as e:
        return e.resp
    except (KeyError, ValueError, TypeError, AttributeError) as e:
        return jresp(400, {'error': '%s: %s' % (type(e).__name__, e)})


def _control(st, segs, m, body, q=None):
    for fn in (_config, _auth):
        r = fn(st, segs, m, body)
        if r is not None:
            return r
    r = _data(st, segs, m, body, q or {})
    if r is not None:
        return r
    return jresp(404, {'error': 'unknown control endpoint', 'path': '/_emu/' + '/'.join(segs)})


def _config(st, segs, m, body):
    if segs == ['reset'] and m == 'POST':
        st.reset()
        return jresp(200, {'ok': True})
    if segs == ['config']:
        if m == 'POST':
            for k in CONFIG:
                if k in body:
                    setattr(st, k, body[k])
            if st.consent not in ('auto', 'deny'):
                st.consent = 'auto'
                err(400, 'consent must be auto or deny')
        return jresp(200, {k: getattr(st, k) for k in CONFIG})
    if segs == ['clock']:
        if m == 'POST':
            if 'offset_s' in body:
                Clock.offset = float(body['offset_s'])
            if 'advance_s' in body:
                Clock.offset += float(body['advance_s'])
        return jresp(200, {'offset_s': Clock.offset, 'now': now()})
    r = srv.control_log_faults(st, segs, m, body, jresp)
    if r is not None:
        return r
    if segs == ['secrets'] and m == 'GET':
        return jresp(200, list(st.secrets))
    return None


def _auth(st, segs, m, body):
    if segs == ['users'] and m == 'POST':
        tenant = body.get('tenant', 'organizations')
        u = st.add_user(body['email'], body.get('name'),
                        MSA_TENANT if tenant == "consumers" else ORG_TENANT,
                        body.get('timeZone', 'W. Europe Standard Time'))
        return jresp(200, user_json(u))
    if segs == ['users'] and m == 'GET':
        return jresp(200, [user_json(u) for u in st.users.values()])
    if segs == ['clients'] and m == 'POST':
        st.add_client(body['client_id'], body.get('client_secret'), body.get('redirect_uris'))
        return jresp(200, {'client_id': body['client_id']})
    if segs == ['token'] and m == 'POST':
        user = body.get('user', st.consent_user)
        if user not in st.users:
            err(404, 'no such user: ' + user)
        scopes = oauth.parse_scopes(body.get('scope', 'Calendars.ReadWrite User.Read '
                                             'offline_access'))
        return jresp(200, oauth.mint(st, user, body.get('client_id', PUBLIC_CLIENT),
                                     scopes))
    if segs == ['device'] and m == 'GET':
        return jresp(200, [OrderedDict(user_code=d['user_code'], state=d['state'],
                                       user=d['user'], client_id=d['client_id'])
                           for d in st.devices.values()])
    if segs in (['device', 'approve'], ['device', 'decline']) and m == 'POST':
        if not oauth.device_decide(st, body, segs[1] == 'approve'):
            err(404, 'no pending device code with user_code ' + str(body.get('user_code')))
        return jresp(200, {'ok': True})
    if segs == ['tokens', 'expire'] and m == 'POST':
        n = 0
        for a in st.access.values():
            if (not body.get('user') or a['user'] == body['user']) and a['exp'] > now():
                a['exp'] = now() - 1
                n += 1
        return jresp(200, {'expired': n})
    if segs in (['refresh', 'revoke'], ['refresh', 'expire']) and m == 'POST':
        n = 0
        for g in st.refresh.values():
            if not body.get('user') or g['user'] == body['user']:
                g['state'] = 'revoked' if segs[1] == 'revoke' else \
                    'inactive' if body.get('inactive') else 'expired'
                n += 1
        if segs[1] == 'revoke':
            for a in st.access.values():
                if not body.get('user') or a['user'] == body['user']:
                    a['exp'] = min(a['exp'], now() - 1)
        return jresp(200, {segs[1] + 'd': n})
    if segs == ['refresh'] and m == 'GET':
        return jresp(200, [OrderedDict(user=g['user'], client_id=g['client_id'],
                                       state=g['state'], family=g['family'])
                           for g in st.refresh.values()])
    return None


def user_json(u):
    return OrderedDict(email=u.email, id=u.id, name=u.name, tenant=u.tenant, timeZone=u.tz,
                       calendar=u.default.id)


def cal_json(c):
    return OrderedDict(id=c.id, owner=c.owner.email, name=c.name, isDefaultCalendar=c.default,
                       events=len(c.events))


def full(ctx, ev):
    """An event as the hand read answers it: its REST id, immutableId and
    every extended property; a series also with its exceptions (as
    calendarView gives them) and the original starts (UTC) of the
    occurrences deleted from it."""
    r = OrderedDict(mev.render(ctx, ev))
    r['immutableId'] = ev.iid
    r['singleValueExtendedProperties'] = [{'id': k, 'value': v} for k, v in ev.ext.items()]
    if ev.r.get('recurrence'):
        r['exceptions'] = [mev.render(ctx, ev, memu_view._occ(ctx, ev, k, None, None, x))
                           for k, x in sorted(ev.exceptions.items())]
        r['cancelledOccurrences'] = sorted(_utc_key(ev, k) for k in ev.cancelled_occ)
    return r


def _utc_key(ev, key):
    return mev.aware(dt.datetime.fromisoformat(key), ev.stz).astimezone(
        dt.timezone.utc).strftime('%Y%m%dT%H%M%SZ')


def occurrence(st, ev, orig, m, body):
    """The owner edits (PATCH) or deletes one occurrence of series ev, named
    by its original start in UTC (YYYYMMDDTHHMMSSZ), as in Outlook."""
    ctx = _Ctx(st, ev.cal.owner)
    t = dt.datetime.strptime(orig, '%Y%m%dT%H%M%SZ').replace(tzinfo=dt.timezone.utc)
    day = t.astimezone(zone(ev.stz)).date()
    for o in memu_view.occurrences(ctx, ev, day):
        if _utc_key(ev, o['key']) == orig:
            break
    else:
        err(404, 'no occurrence of %s at %s' % (ev.rid, orig))
    if m == 'PATCH':
        memu_view.patch_occurrence(ctx, ev, o, body)
        o = memu_view._occ(ctx, ev, o['key'], None, None, ev.exceptions[o['key']])
        return jresp(200, mev.render(ctx, ev, o))
    memu_view.cancel_occurrence(ctx, ev, o)
    return jresp(200, {'ok': True})


def _data(st, segs, m, body, q):
    if segs == ['calendars'] and m == 'GET':
        return jresp(200, [cal_json(c) for u in st.users.values()
                           for c in u.calendars.values()])
    if segs == ['calendars'] and m == 'POST':
        u = st.users[body['owner']]
        return jresp(200, cal_json(st.add_calendar(u, body.get('name', 'Calendar'))))
    if segs == ['delta', 'invalidate'] and m == 'POST':
        code = body.get('code', 'syncStateNotFound')
        for u in st.users.values():
            for c in u.calendars.values():
                if not body.get('calendar') or body['calendar'] in (c.id, u.email):
                    c.delta_epoch += 1
                    c.delta_code = code
        return jresp(200, {'ok': True})
    if len(segs) == 3 and segs[0] == 'calendars' and segs[2] == 'load' and m == 'POST':
        return jresp(200, {'loaded': load(st, find_cal(st, segs[1]), body)})
    if len(segs) == 3 and segs[0] == 'calendars' and segs[2] in ('events', 'generate'):
        cal = find_cal(st, segs[1])
        ctx = _Ctx(st, cal.owner)
        if segs[2] == 'generate' and m == 'POST':
            t0 = time.time()
            n = generate(st, cal, body)
            return jresp(200, {'created': n, 'seconds': round(time.time() - t0, 3)})
        if m == 'POST':
            ev = mev.create_event(st, cal.owner, cal, body)
            return jresp(200, mev.render(ctx, ev))
        if m == 'GET' and q.get('full'):
            return srv.ndjson(full(ctx, ev) for ev in cal.events.values())
        if m == 'GET':
            return srv.ndjson(mev.render(ctx, ev) for ev in cal.events.values())
    if len(segs) >= 2 and segs[0] == 'events':
        ev = find_event(st, segs[1])
        ctx = _Ctx(st, ev.cal.owner)
        if len(segs) == 4 and segs[2] == 'occurrences' and m in ('PATCH', 'DELETE') \
                and ev.r.get('recurrence'):
            return occurrence(st, ev, segs[3], m, body)
        if len(segs) == 3 and segs[2] == 'move' and m == 'POST':
            mev.move_event(st, ev, find_cal(st, body['calendar']))
            return jresp(200, mev.render(ctx, ev))
        if len(segs) == 2 and m == 'GET':
            return jresp(200, full(ctx, ev))
        if len(segs) == 2 and m == 'PATCH':
            mev.apply_fields(st, ev, body, False)
            mev.touch(st, ev)
            return jresp(200, mev.render(ctx, ev))
        if len(segs) == 2 and m == 'DELETE':
            mev.delete_event(st, ev)
            return jresp(200, {'ok': True})
    return None


def generate(st, cal, spec):
    """count events of `minutes`, `step_minutes` apart from `start` (UTC), fields merged."""
    n = int(spec.get('count', 1))
    start = dt.datetime.fromisoformat(spec.get('start', '2026-01-05T08:00:00').rstrip('Z'))
    minutes = float(spec.get('minutes', 60))
    step = float(spec.get('step_minutes', 90))
    subj = spec.get('subject', 'Event %d')
    tzn = spec.get('timeZone', 'UTC')
    if zone(tzn) is None:
        raise ValueError('unknown time zone ' + tzn)
    for i in range(1, n + 1):
        s = start + dt.timedelta(minutes=(i - 1) * step)
        b = dict(spec.get('fields') or {})
        b['subject'] = subj.replace('%d', str(i))
        b['start'] = {'dateTime': s.isoformat(), 'timeZone': tzn}
        b['end'] = {'dateTime': (s + dt.timedelta(minutes=minutes)).isoformat(),
                    'timeZone': tzn}
        mev.create_event(st, cal.owner, cal, b)
    return n


def _ts(s, default):
    try:
        return parse_offset_time(s).timestamp()
    except (ValueError, TypeError, AttributeError):
        return default


def _wall(tm, zname):
    """A recorded dateTimeTimeZone as naive wall time in zone zname."""
    a = parse_local(tm['dateTime'])
    if a.tzinfo is None:
        a = a.replace(tzinfo=zone(tm.get('timeZone') or 'UTC'))
    return a.astimezone(zone(zname)).replace(tzinfo=None)


def load(st, cal, events):
    """Events as Graph answered them (a recording), kept with their ids,
    changeKeys, iCalUIds and times; occurrences are derived, so skipped;
    exceptions go onto their series (seriesMasterId, originalStart)."""
    n = 0
    later = []
    for r in events:
        if r.get('type') == 'occurrence':
            continue
        if r.get('type') == 'exception':
            later.append(r)
            continue
        body = {k: v for k, v in r.items() if k in mev.WRITABLE}
        ev = mev.create_event(st, cal.owner, cal, body)
        for which, zkey in (('start', 'originalStartTimeZone'), ('end', 'originalEndTimeZone')):
            zn = r.get(zkey) if zone(r.get(zkey)) is not None else r[which].get('timeZone', 'UTC')
            if not r.get('isAllDay'):
                setattr(ev, which, _wall(r[which], zn))
            setattr(ev, 'stz' if which == 'start' else 'etz', zn)
        if r.get('id'):
            st.by_id.pop(ev.rid, None)
            ev.rid = r['id']
            st.by_id[ev.rid] = ev
        for k in ('iCalUId', 'uid'):
            if r.get(k):
                ev.r[k] = r[k]
        ev.ck = r.get('changeKey') or ev.ck
        ev.created = _ts(r.get('createdDateTime'), ev.created)
        ev.modified = _ts(r.get('lastModifiedDateTime'), ev.modified)
        ev.rcache = None
        n += 1
    for r in later:
        ev = st.by_id.get(r.get('seriesMasterId'))
        if ev is None or not r.get('originalStart'):
            raise ValueError('exception %s: no series %s loaded' % (r.get('id'),
                                                                     r.get('seriesMasterId')))
        orig = parse_offset_time(r['originalStart']).astimezone(zone(ev.stz))
        over = {k: r[k] for k in ('subject', 'body', 'location', 'locations', 'showAs',
                                  'sensitivity', 'importance', 'categories', 'attendees')
                if k in r}
        ev.exceptions[orig.strftime('%Y-%m-%dT%H:%M:%S')] = {
            'over': over, 'start': _wall(r['start'], ev.stz), 'end': _wall(r['end'], ev.etz),
            'ck': r.get('changeKey') or change_key(), 'modified': _ts(
                r.get('lastModifiedDateTime'), now())}
        n += 1
    st.change_seq += 1
    return n
