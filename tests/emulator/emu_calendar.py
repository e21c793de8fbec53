"""Calendar API v3 (events, calendars, calendarList) and batch of the emulator.

References:
 - Events resource and methods:
   https://developers.google.com/workspace/calendar/api/v3/reference/events
 - Sync tokens: "Synchronize resources efficiently"
   https://developers.google.com/workspace/calendar/api/guides/sync
 - Errors: https://developers.google.com/workspace/calendar/api/guides/errors
 - Batch: https://developers.google.com/workspace/calendar/api/guides/batch
"""
import base64
import datetime as dt
import json
import re
import time
from collections import OrderedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import emu_quota
import emu_rrule
from emu_core import (SCOPE_PREFIX as S, UTC, ApiError, Ev, Resp, b32hex_id, b64u, fail,
                      fault_error, fmt_local, gerr, jresp, not_found, now, parse_rfc3339,
                      rfc3339_ms)
from emu_oauth import (auth_error_401, bearer, insufficient_scope_403, login_required_401,
                       lookup_access)

R_EVENTS = {S + x for x in ('calendar', 'calendar.readonly', 'calendar.events',
                            'calendar.events.readonly', 'calendar.events.owned',
                            'calendar.events.owned.readonly', 'calendar.app.created')}
W_EVENTS = {S + x for x in ('calendar', 'calendar.events', 'calendar.events.owned',
                            'calendar.app.created')}
R_CALLIST = {S + x for x in ('calendar', 'calendar.readonly', 'calendar.calendarlist',
                             'calendar.calendarlist.readonly', 'calendar.app.created')}
R_CALS = {S + x for x in ('calendar', 'calendar.readonly', 'calendar.calendars',
                          'calendar.calendars.readonly', 'calendar.app.created')}
W_CALS = {S + x for x in ('calendar', 'calendar.calendars', 'calendar.app.created')}
CLEAR = {S + x for x in ('calendar', 'calendar.calendars')}
APP_CREATED = S + 'calendar.app.created'

WRITABLE = ('summary', 'description', 'location', 'colorId', 'endTimeUnspecified', 'recurrence',
            'transparency', 'visibility', 'iCalUID', 'attendees', 'attendeesOmitted',
            'extendedProperties', 'conferenceData', 'gadget', 'anyoneCanAddSelf',
            'guestsCanInviteOthers', 'guestsCanModify', 'guestsCanSeeOtherGuests',
            'privateCopy', 'locked', 'reminders', 'source', 'workingLocationProperties',
            'outOfOfficeProperties', 'focusTimeProperties', 'birthdayProperties',
            'attachments', 'eventType', 'eventLabelId')
ORDER = ('kind', 'etag', 'id', 'status', 'htmlLink', 'created', 'updated', 'summary',
         'description', 'location', 'colorId', 'creator', 'organizer', 'start', 'end',
         'endTimeUnspecified', 'recurrence', 'recurringEventId', 'originalStartTime',
         'transparency', 'visibility', 'iCalUID', 'sequence', 'attendees', 'attendeesOmitted',
         'extendedProperties', 'hangoutLink', 'conferenceData', 'gadget', 'anyoneCanAddSelf',
         'guestsCanInviteOthers', 'guestsCanModify', 'guestsCanSeeOtherGuests', 'privateCopy',
         'locked', 'reminders', 'source', 'workingLocationProperties', 'outOfOfficeProperties',
         'focusTimeProperties', 'birthdayProperties', 'attachments', 'eventType',
         'eventLabelId')
ID_RE = re.compile(r'[a-v0-9]{5,1024}')
# events.list: "There are several query parameters that cannot be specified
# together with nextSyncToken ... iCalUID, orderBy, privateExtendedProperty, q,
# sharedExtendedProperty, timeMin, timeMax, updatedMin" (events.list reference)
SYNC_FORBIDDEN = ('iCalUID', 'orderBy', 'privateExtendedProperty', 'q', 'sharedExtendedProperty',
                  'timeMin', 'timeMax', 'updatedMin')


def ordered(r):
    out = OrderedDict()
    for k in ORDER:
        if k in r:
            out[k] = r[k]
    for k in r:
        if k not in out:
            out[k] = r[k]
    return out


def html_link(eid, cid):
    return 'https://www.google.com/calendar/event?eid=' + b64u((eid + ' ' + cid).encode())


def bad(msg, reason='invalid', domain='global', **kw):
    fail(400, reason, msg, domain=domain, **kw)


def zone(name, which):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        bad('Invalid time zone definition for %s time.' % which)


def norm_time(cal, t, which, recurring=False):
    """(resource dict, epoch, is_date, value) for an EventDateTime."""
    if not isinstance(t, dict) or not (t.get('date') or t.get('dateTime')):
        fail(400, 'required', 'Missing %s time.' % which)
    if t.get('date') and t.get('dateTime'):
        bad('Invalid %s time.' % which)
    if t.get('date'):
        try:
            d = dt.date.fromisoformat(t['date'])
        except (ValueError, TypeError):
            bad('Invalid %s time.' % which)
        ts = dt.datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(cal.tz)).timestamp()
        out = OrderedDict(date=d.isoformat())
        if t.get('timeZone'):
            zone(t['timeZone'], which)
            out['timeZone'] = t['timeZone']
        return out, ts, True, d
    try:
        d = parse_rfc3339(t['dateTime'])
    except (ValueError, TypeError, AttributeError):
        bad('Invalid %s time.' % which)
    tzn = t.get('timeZone')
    tz = zone(tzn, which) if tzn else None
    if d.tzinfo is None:
        if not tz:
            fail(400, 'required', 'Missing time zone definition for %s time.' % which)
        d = d.replace(tzinfo=tz)
    if recurring and not tzn:
        fail(400, 'required', 'Missing time zone definition for %s time.' % which)
    local = d.astimezone(tz or ZoneInfo(cal.tz))
    out = OrderedDict(dateTime=fmt_local(local))
    if tzn:
        out['timeZone'] = tzn
    return out, d.timestamp(), False, local


def merge(dst, src):
    """JSON merge (PATCH semantics: objects merge, arrays replace, null deletes)."""
    for k, v in src.items():
        if v is None:
            dst.pop(k, None)
        elif isinstance(v, dict) and isinstance(dst.get(k), dict):
            merge(dst[k], v)
        else:
            dst[k] = v
    return dst


def client_view(r):
    """The client-writable part of a stored resource (base for PATCH)."""
    out = {k: json.loads(json.dumps(r[k])) for k in WRITABLE if k in r}
    for k in ('start', 'end', 'status', 'sequence', 'originalStartTime'):
        if k in r:
            out[k] = json.loads(json.dumps(r[k]))
    return out


# --------------------------------------------------------------------------
# What a write's parameters let Google take from its body (Events reference,
# insert/update/patch parameters), and the event types' rules (the event
# types guide, developers.google.com/workspace/calendar/api/guides/event-types).
PRIMARY_ONLY = ('focusTime', 'outOfOffice', 'workingLocation')
NO_PRIVATE_PROPS = ('birthday', 'fromGmail')


def qint(q, name, lo, hi):
    v = q.get(name)
    if v is None:
        return 0
    try:
        n = int(v)
    except ValueError:
        n = None
    if n is None or n < lo or n > hi:
        bad("Invalid value '%s'. Values must be within the range: [%d, %d]" % (v, lo, hi),
            location=name, location_type='parameter')
    return n


def new_conference(req):
    """conferenceData.createRequest: Google makes a meeting of its own
    ("Version 1 enables support for ... creating new conferences using the
    createRequest field"); status success at once here."""
    cr = dict(req)
    kind = ((cr.get('conferenceSolutionKey') or {}).get('type')) or 'hangoutsMeet'
    cr['status'] = {'statusCode': 'success'}
    code = b32hex_id()
    code = '%s-%s-%s' % (code[:3], code[3:7], code[7:10])
    uri = 'https://meet.google.com/' + code
    return OrderedDict(createRequest=cr, entryPoints=[OrderedDict(
        entryPointType='video', uri=uri, label='meet.google.com/' + code)],
        conferenceSolution=OrderedDict(key={'type': kind}, name='Google Meet'),
        conferenceId=code)


def take_body(req, body, prev=None):
    """The body as Google reads it for these query parameters: fields it is
    not told to take keep what the event had (or are dropped on insert)."""
    q = req.q1
    body = dict(body)
    held = {}
    # "Version 0 assumes no conference data support and ignores conference
    # data in the event's body."
    if qint(q, 'conferenceDataVersion', 0, 1) < 1:
        held['conferenceData'] = True
    # "In order to modify attachments the supportsAttachments request
    # parameter should be set to true." (Event.attachments)
    if not qbool(q, 'supportsAttachments'):
        held['attachments'] = True
    # eventLabelVersion: "Version 0 assumes no event label support ...
    # Version 1 ... processes the eventLabelId in the event's body."
    if qint(q, 'eventLabelVersion', 0, 1) < 1:
        held['eventLabelId'] = True
    for k in held:
        body.pop(k, None)
        if prev is not None and k in prev:
            body[k] = json.loads(json.dumps(prev[k]))
    cd = body.get('conferenceData')
    if 'conferenceData' not in held and isinstance(cd, dict) and cd.get('createRequest') and \
            not cd.get('conferenceId'):
        body['conferenceData'] = new_conference(cd['createRequest'])
    return body


# Birthday events (event types guide): "Can have a colorId, summary and
# reminders. Cannot have any other event properties."; created all-day,
# exactly one day, visibility private, transparency transparent, recurrence
# RRULE:FREQ=YEARLY (RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1 on 29 Feb).
BIRTHDAY_FIELDS = ('id', 'eventType', 'birthdayProperties', 'start', 'end', 'recurrence',
                   'visibility', 'transparency', 'colorId', 'summary', 'reminders', 'status',
                   'sequence')


def check_birthday(body):
    def no(why):
        bad('Invalid birthday event: %s.' % why, reason='eventTypeRestriction')
    extra = sorted(k for k, v in body.items() if k not in BIRTHDAY_FIELDS and v is not None)
    if extra:
        no('%s not allowed' % ', '.join(extra))
    s, e = body.get('start') or {}, body.get('end') or {}
    try:
        one_day = (dt.date.fromisoformat(e['date']) - dt.date.fromisoformat(s['date'])).days == 1
    except (KeyError, TypeError, ValueError):
        one_day = False
    if not one_day:
        no('it must be an all-day event of exactly one day')
    if body.get('visibility') != 'private' or body.get('transparency') != 'transparent':
        no('visibility must be private and transparency transparent')
    if body.get('recurrence') not in (['RRULE:FREQ=YEARLY'],
                                      ['RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1']):
        no('the recurrence must be RRULE:FREQ=YEARLY')


def check_type(cal, body, prev=None, importing=False):
    """The event types guide: fromGmail events "cannot be created", birthday
    and fromGmail events take no private extended properties, focusTime,
    outOfOffice and workingLocation events live only in primary calendars;
    events.import: "Only events with an eventType of default may be
    imported"."""
    etype = (prev or {}).get('eventType') or body.get('eventType') or 'default'
    if importing and etype != 'default':
        bad('Only events of type default can be imported.', reason='eventTypeRestriction')
    if prev is None and etype == 'fromGmail':
        bad('Events from Gmail cannot be created.', reason='eventTypeRestriction')
    priv = (body.get('extendedProperties') or {}).get('private')
    if etype in NO_PRIVATE_PROPS and priv:
        bad('Private extended properties are not allowed on %s events.' % etype,
            reason='eventTypeRestriction')
    if etype in PRIMARY_ONLY and not cal.primary:
        bad('%s events can only be set on a primary calendar.' % etype,
            reason='eventTypeRestriction')
    if etype == 'birthday' and prev is None:
        check_birthday(body)


def load_recorded(st, cal, events):
    """Store recorded event resources as they are (ids Google made, old
    etags and all): a calendar as Google holds it, for the conformance
    test. Times are read for list windows only."""
    n = 0
    for r in events:
        ev = cal.events.get(r['id']) or Ev(r['id'])
        ev.r = OrderedDict(r)
        try:
            ev.s, ev.e = instance_times(r, cal)
        except (ApiError, KeyError, TypeError):
            ev.s = ev.e = 0.0
        st.change_seq += 1
        ev.seq = st.change_seq
        ev.deleted = r.get('status') == 'cancelled'
        ev.json = json.dumps(r, separators=(',', ':'), ensure_ascii=False)
        ev.mjson = ev.json if ev.deleted else None
        cal.events[ev.id] = ev
        cal.events.move_to_end(ev.id)
        n += 1
    # a recorded exception of a recorded series is one of its exceptions
    for ev in cal.events.values():
        m = cal.events.get(ev.r.get('recurringEventId') or '')
        if m is not None and m.r.get('recurrence') and ev.master is None:
            ev.master = m.id
            cal.exceptions.setdefault(m.id, {})[ev.id] = ev
    return n


# --------------------------------------------------------------------------
# Core event operations (no auth; shared by the API and the /_emu hand edits)
def build_event(st, cal, eid, body, user, prev=None, ts=None, master=None):
    """Validate body and return (resource, s, e) without storing."""
    if not isinstance(body, dict):
        bad('Parse Error', reason='parseError')
    recurring = bool(body.get('recurrence'))
    if 'end' not in body or body.get('end') is None:
        fail(400, 'required', 'Missing end time.')
    start, s, sdate, sval = norm_time(cal, body.get('start'), 'start', recurring)
    end, e, edate, _ = norm_time(cal, body.get('end'), 'end', recurring)
    if sdate != edate:
        bad('Start and end times must either both be date or both be dateTime.')
    if e < s:
        fail(400, 'timeRangeEmpty', 'The specified time range is empty.', domain='calendar')
    if recurring:
        if master or not isinstance(body['recurrence'], list):
            bad('Invalid recurrence rule.')
        for line in body['recurrence']:
            if not isinstance(line, str) or not re.match(r'(?i)(RRULE|EXRULE|RDATE|EXDATE)[:;]',
                                                         line):
                bad('Invalid recurrence rule.')
            if line.upper().startswith('RRULE'):
                try:
                    emu_rrule.parse_rule(line)
                except ValueError:
                    bad('Invalid recurrence rule.')
    ts = ts or now()
    r = {'kind': 'calendar#event', 'etag': '', 'id': eid}
    status = body.get('status') or 'confirmed'
    if status not in ('confirmed', 'tentative', 'cancelled'):
        bad('Invalid value for: status')
    r['status'] = status
    r['htmlLink'] = html_link(eid, cal.id)
    r['created'] = prev['created'] if prev else rfc3339_ms(ts)
    r['updated'] = ''
    for k in WRITABLE:
        if k in body and body[k] is not None:
            r[k] = body[k]
    if not recurring:
        r.pop('recurrence', None)
    if prev:
        r['creator'] = prev['creator']
        r['organizer'] = prev['organizer']
    else:
        r['creator'] = OrderedDict(email=user)
        if user == cal.id:
            r['creator']['self'] = True
        if cal.primary:
            r['organizer'] = OrderedDict(email=cal.id, self=True)
        else:
            r['organizer'] = OrderedDict(email=cal.id, displayName=cal.summary, self=True)
    r['start'] = start
    r['end'] = end
    if master:
        r['recurringEventId'] = master
        r['originalStartTime'] = (prev or body)['originalStartTime']
    if 'iCalUID' not in r:
        r['iCalUID'] = (prev or {}).get('iCalUID') or ((master or eid) + '@google.com')
    seq = prev.get('sequence', 0) if prev else 0
    if prev and (prev.get('start') != start or prev.get('end') != end or
                 prev.get('recurrence') != r.get('recurrence')):
        seq += 1
    if isinstance(body.get('sequence'), int) and body['sequence'] > seq:
        seq = body['sequence']
    r['sequence'] = seq
    if 'reminders' not in r:
        r['reminders'] = {'useDefault': True}
    if 'eventType' not in r:
        r['eventType'] = 'default'
    return ordered(r), s, e


def store(st, cal, eid, r, s, e, master=None, ts=None):
    ev = cal.events.get(eid) or Ev(eid)
    ev.r = r
    ev.s, ev.e = s, e
    ev.master = master
    st.touch(cal, ev, ts)
    return ev


def insert_event(st, cal, body, user, check_id=True):
    eid = body.get('id')
    if eid is None or eid == '':
        eid = b32hex_id()
    elif not isinstance(eid, str) or not ID_RE.fullmatch(eid):
        bad('Invalid resource id value.')
    if eid in cal.events:
        fail(409, 'duplicate', 'The requested identifier already exists.')
    r, s, e = build_event(st, cal, eid, body, user)
    return store(st, cal, eid, r, s, e)


def master_start(cal, m):
    st_ = m.r['start']
    if 'date' in st_:
        return dt.date.fromisoformat(st_['date']), True
    tzn = st_.get('timeZone') or cal.tz
    return parse_rfc3339(st_['dateTime']).astimezone(ZoneInfo(tzn)), False


def instance_resource(cal, m, occ, is_date):
    """Resource of one instance of master m starting at occ (local dt / date)."""
    r = OrderedDict((k, v) for k, v in m.r.items() if k != 'recurrence')
    sfx = emu_rrule.instance_suffix(occ, is_date)
    iid = m.id + '_' + sfx
    r['id'] = iid
    r['htmlLink'] = html_link(iid, cal.id)
    dur = m.e - m.s
    if is_date:
        days = int(round(dur / 86400.0))
        r['start'] = OrderedDict(date=occ.isoformat())
        r['end'] = OrderedDict(date=(occ + dt.timedelta(days=days)).isoformat())
    else:
        stz = m.r['start'].get('timeZone')
        etz = m.r['end'].get('timeZone')
        r['start'] = OrderedDict(dateTime=fmt_local(occ))
        if stz:
            r['start']['timeZone'] = stz
        endv = (occ.astimezone(UTC) + dt.timedelta(seconds=dur)).astimezone(
            ZoneInfo(etz or stz or cal.tz))
        r['end'] = OrderedDict(dateTime=fmt_local(endv))
        if etz:
            r['end']['timeZone'] = etz
    r['recurringEventId'] = m.id
    r['originalStartTime'] = OrderedDict(r['start'])
    return ordered(r), iid


def instance_times(r, cal):
    s = norm_time(cal, r['start'], 'start')[1]
    e = norm_time(cal, r['end'], 'end')[1]
    return s, e


def expand_master(cal, m, tmin=None, tmax=None, show_deleted=False, minimal_deleted=True):
    """[(start_ts, json)] for the instances of master m, exceptions applied."""
    start, is_date = master_start(cal, m)
    stop = None
    if tmax is not None:
        stop = dt.datetime.fromtimestamp(tmax, UTC)
        if is_date:
            stop = stop.astimezone(ZoneInfo(cal.tz)).date()
    excs = cal.exceptions.get(m.id, {})
    out = []
    seen = set()
    dur = m.e - m.s
    try:
        occs = list(emu_rrule.expand(start, m.r['recurrence'], m.r['start'].get('timeZone') or
                                     cal.tz, is_date, stop_after=stop))
    except (ValueError, KeyError):
        occs = []
    for occ in occs:
        sfx = emu_rrule.instance_suffix(occ, is_date)
        iid = m.id + '_' + sfx
        seen.add(iid)
        ex = excs.get(iid)
        if ex is not None:
            if ex.deleted:
                if show_deleted:
                    out.append((ex.s, ex.mjson if minimal_deleted else ex.json))
                continue
            if (tmin is None or ex.e > tmin) and (tmax is None or ex.s < tmax):
                out.append((ex.s, ex.json))
            continue
        if is_date:
            s = dt.datetime(occ.year, occ.month, occ.day, tzinfo=ZoneInfo(cal.tz)).timestamp()
        else:
            s = occ.timestamp()
        e = s + dur
        if tmin is not None and e <= tmin:
            continue
        if tmax is not None and s >= tmax:
            continue
        r, _ = instance_resource(cal, m, occ, is_date)
        out.append((s, json.dumps(r, separators=(',', ':'), ensure_ascii=False)))
    # moved exceptions whose original slot is outside the window are still instances
    for iid, ex in excs.items():
        if iid in seen or ex.deleted:
            continue
        if (tmin is None or ex.e > tmin) and (tmax is None or ex.s < tmax):
            out.append((ex.s, ex.json))
    return out


def find_instance(cal, eid):
    """(master Ev, occ, is_date) when eid names an unstored instance, else None."""
    if '_' not in eid:
        return None
    mid, sfx = eid.rsplit('_', 1)
    m = cal.events.get(mid)
    if not m or not m.r.get('recurrence'):
        return None
    start, is_date = master_start(cal, m)
    try:
        if is_date:
            if not re.fullmatch(r'\d{8}', sfx):
                return None
            target = dt.date(int(sfx[:4]), int(sfx[4:6]), int(sfx[6:]))
        else:
            if not re.fullmatch(r'\d{8}T\d{6}Z', sfx):
                return None
            target = dt.datetime.strptime(sfx, '%Y%m%dT%H%M%SZ').replace(tzinfo=UTC)
    except ValueError:
        return None
    tzn = m.r['start'].get('timeZone') or cal.tz
    for occ in emu_rrule.expand(start, m.r['recurrence'], tzn, is_date, stop_after=target):
        if (occ == target) if is_date else (occ.astimezone(UTC) == target):
            return m, occ, is_date
    return None


def get_event_any(st, cal, eid):
    """Stored Ev or a transient instance Ev (not stored); None when unknown."""
    ev = cal.events.get(eid)
    if ev:
        return ev, None
    fi = find_instance(cal, eid)
    if not fi:
        return None, None
    m, occ, is_date = fi
    r, iid = instance_resource(cal, m, occ, is_date)
    tmp = Ev(iid)
    tmp.r = r
    tmp.master = m.id
    tmp.deleted = m.deleted
    tmp.s, tmp.e = instance_times(r, cal)
    return tmp, m


def update_event(st, cal, eid, body, user, patch=False):
    ev, m = get_event_any(st, cal, eid)
    if ev is None:
        not_found()
    if patch:
        base = client_view(ev.r)
        body = merge(base, body if isinstance(body, dict) else {})
    else:
        if not isinstance(body, dict):
            bad('Parse Error', reason='parseError')
        body = dict(body)
        if ev.master:
            body['originalStartTime'] = ev.r['originalStartTime']
    if 'id' in body and body['id'] != ev.id and not patch:
        pass  # Google ignores a differing id in the body of update
    if ev.master:
        body.pop('recurrence', None)
    r, s, e = build_event(st, cal, ev.id, body, user, prev=ev.r, master=ev.master)
    return store(st, cal, ev.id, r, s, e, master=ev.master)


def delete_event(st, cal, eid):
    ev, m = get_event_any(st, cal, eid)
    if ev is None:
        not_found()
    if ev.deleted:
        fail(410, 'deleted', 'Resource has been deleted')
    r = OrderedDict(ev.r)
    r['status'] = 'cancelled'
    out = store(st, cal, ev.id, r, ev.s, ev.e, master=ev.master)
    if ev.r.get('recurrence'):
        for ex in list(cal.exceptions.get(ev.id, {}).values()):
            if not ex.deleted:
                xr = OrderedDict(ex.r)
                xr['status'] = 'cancelled'
                store(st, cal, ex.id, xr, ex.s, ex.e, master=ex.master)
    return out


def move_event(st, cal, eid, dcal):
    """events.move: "Moves an event to another calendar, i.e. changes an
    event's organizer. Note that only default events can be moved" (events.move
    reference). The event keeps its id, times and iCalUID; the source calendar
    lists it as cancelled, as a deleted event (its sync feed shows it gone)."""
    ev = cal.events.get(eid)
    if ev is None:
        if find_instance(cal, eid):
            # an instance cannot be moved on its own (README "deviations")
            bad('Cannot move a single instance of a recurring event.')
        not_found()
    if ev.deleted:
        not_found()
    if ev.master:
        bad('Cannot move a single instance of a recurring event.')
    if ev.r.get('eventType', 'default') != 'default':
        bad('Only default events can be moved.', reason='eventTypeRestriction')
    if dcal.id == cal.id:
        return ev
    old = dcal.events.get(eid)
    if old is not None and not old.deleted:
        fail(409, 'duplicate', 'The requested identifier already exists.')
    moving = [ev] + [x for x in cal.exceptions.get(eid, {}).values()]
    out = None
    for x in moving:
        r = OrderedDict(x.r)
        if dcal.primary:
            r['organizer'] = OrderedDict(email=dcal.id, self=True)
        else:
            r['organizer'] = OrderedDict(email=dcal.id, displayName=dcal.summary, self=True)
        r['htmlLink'] = html_link(x.id, dcal.id)
        moved = store(st, dcal, x.id, ordered(r), x.s, x.e, master=x.master)
        gone = OrderedDict(x.r)
        gone['status'] = 'cancelled'
        store(st, cal, x.id, gone, x.s, x.e, master=x.master)
        if x is ev:
            out = moved
    return out


# --------------------------------------------------------------------------
def check_scope(a, allowed, method, cal=None):
    have = set(a['scopes']) & allowed
    if not have:
        raise ApiError(insufficient_scope_403(method, sorted(allowed)))
    if cal is not None and have == {APP_CREATED} and cal.created_by_client != a['client_id']:
        # calendar.app.created only reaches calendars this app created
        not_found()


def get_cal(st, a, cid):
    if cid == 'primary':
        cid = a['user']
    cal = st.cals.get(cid)
    if not cal or cal.owner != a['user']:
        not_found()
    return cal


def check_if_match(req, ev):
    im = req.headers.get('If-Match')
    if im and im.strip() != '*' and im.strip() != ev.r['etag']:
        fail(412, 'conditionNotMet', 'Precondition Failed', location='If-Match',
             location_type='header')


def ev_resp(ev):
    return Resp(200, ev.json if ev.json else json.dumps(ev.r), headers=[('ETag', ev.r['etag'])])


def json_body(req):
    try:
        b = req.json()
    except ValueError:
        bad('Parse Error', reason='parseError')
    if not isinstance(b, dict):
        bad('Parse Error', reason='parseError')
    return b


def qbool(q, name):
    v = q.get(name)
    if v is None:
        return None
    if v not in ('true', 'false'):
        bad("Invalid value '%s'. Values must be either true or false." % v)
    return v == 'true'


def qtime(q, name):
    v = q.get(name)
    if v is None:
        return None
    try:
        d = parse_rfc3339(v)
        if d.tzinfo is None:
            raise ValueError
        return d.timestamp()
    except ValueError:
        bad('Bad Request', reason='badRequest')


def qmax(q, default, top):
    v = q.get('maxResults')
    if v is None:
        return default
    try:
        n = int(v)
    except ValueError:
        bad("Invalid value '%s'. Values must be within the range: [1, %d]" % (v, top))
    if n < 1:
        bad("Invalid value '%s'. Values must be within the range: [1, %d]" % (v, top))
    return min(n, top)


def enc_token(obj):
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(',', ':')).encode()).decode()


def dec_token(s):
    try:
        return json.loads(base64.urlsafe_b64decode(s.encode() + b'=' * (-len(s) % 4)))
    except (ValueError, TypeError):
        return None


def list_head(cal, q, seq):
    h = OrderedDict(kind='calendar#events', etag='"p%013x"' % (seq * 7919 % (1 << 52)),
                    summary=cal.summary)
    if cal.description:
        h['description'] = cal.description
    h['updated'] = rfc3339_ms(getattr(cal, 'updated_ts', None) or now())
    h['timeZone'] = q.get('timeZone') or cal.tz
    h['accessRole'] = 'owner'
    h['defaultReminders'] = [{'method': 'popup', 'minutes': 10}] if cal.primary else []
    return h


def page_out(st, head, items, maxr, sync_token, offset=0, key=None, user=None, cal_id=None):
    page = items[offset:offset + maxr]
    more = offset + maxr < len(items)
    body = json.dumps(head, separators=(',', ':'), ensure_ascii=False)[:-1]
    if more:
        if key is None:
            key = st.cache_pages({'items': items, 'sync': sync_token, 'user': user, 'cal': cal_id})
        body += ',"nextPageToken":' + json.dumps(enc_token({'k': key, 'o': offset + maxr}))
    elif sync_token:
        body += ',"nextSyncToken":' + json.dumps(sync_token)
    body += ',"items":[' + ','.join(page) + ']}'
    return Resp(200, body)


def list_events(st, req, a, cal):
    q = req.q1
    maxr = qmax(q, 250, 2500)
    head = list_head(cal, q, st.change_seq)
    if q.get('pageToken'):
        t = dec_token(q['pageToken'])
        entry = st.page_cache.get(t.get('k')) if isinstance(t, dict) else None
        if not entry or entry['cal'] != cal.id or not isinstance(t.get('o'), int):
            bad('Invalid page token value.', location='pageToken', location_type='parameter')
        return page_out(st, head, entry['items'], maxr, entry['sync'], t['o'], t['k'],
                        cal_id=cal.id)
    single = qbool(q, 'singleEvents') or False
    show_deleted = qbool(q, 'showDeleted')
    if q.get('syncToken') is not None:
        for p in SYNC_FORBIDDEN:
            if p in req.q:
                bad('Sync token cannot be used with other request restrictions.',
                    reason='syncTokenWithRequestRestrictions')
        if show_deleted is False:
            bad('Sync token cannot be used with other request restrictions.',
                reason='syncTokenWithRequestRestrictions')
        tok = dec_token(q['syncToken'])
        if not isinstance(tok, dict) or tok.get('c') != cal.id or tok.get('e') != cal.sync_epoch \
                or not isinstance(tok.get('s'), int) or tok['s'] > st.change_seq:
            fail(410, 'fullSyncRequired', 'Sync token is no longer valid, a full sync is required.')
        since = tok['s']
        changed = []
        for ev in reversed(cal.events.values()):
            if ev.seq <= since:
                break
            changed.append(ev)
        changed.reverse()
        items = []
        for ev in changed:
            if ev.deleted:
                items.append(ev.mjson)
            elif single and ev.r.get('recurrence'):
                items.extend(j for _, j in expand_master(cal, ev, show_deleted=True))
            else:
                items.append(ev.json)
        # an unchanged calendar hands back the same token
        sync = q['syncToken'] if not changed else enc_token(
            {'c': cal.id, 's': st.change_seq, 'e': cal.sync_epoch})
        return page_out(st, head, items, maxr, sync, user=a and a['user'], cal_id=cal.id)
    tmin, tmax = qtime(q, 'timeMin'), qtime(q, 'timeMax')
    upd = qtime(q, 'updatedMin')
    if tmin is not None and tmax is not None and tmax <= tmin:
        fail(400, 'timeRangeEmpty', 'The specified time range is empty.', domain='calendar',
             location='timeMax', location_type='parameter')
    order = q.get('orderBy')
    if order not in (None, 'startTime', 'updated'):
        bad("Invalid value '%s'. Values must be one of: [startTime, updated]" % order)
    if order == 'startTime' and not single:
        bad('The requested ordering is not available for the particular query.',
            reason='badRequest')
    qtext = (q.get('q') or '').lower()
    ical = q.get('iCalUID')
    props = []
    for kind in ('private', 'shared'):
        for pv in req.q.get(kind + 'ExtendedProperty', []):
            if '=' not in pv:
                bad('Invalid extended property constraint.')
            k, v = pv.split('=', 1)
            props.append((kind, k, v))
    upd_s = rfc3339_ms(upd) if upd is not None else None
    deleted_ok = bool(show_deleted) or upd is not None
    filtered = bool(qtext or ical or props or upd is not None)
    seq = st.change_seq
    rows = []   # (sort key, json)

    def match(ev):
        r = ev.r
        if upd_s is not None and r['updated'] < upd_s:
            return False
        if ical and r.get('iCalUID') != ical:
            return False
        if qtext:
            hay = ' '.join(str(r.get(k, '')) for k in ('summary', 'description', 'location'))
            if qtext not in hay.lower():
                return False
        for kind, k, v in props:
            if r.get('extendedProperties', {}).get(kind, {}).get(k) != v:
                return False
        return True

    if not single and not filtered and tmin is None and tmax is None and order is None:
        # fast path for the full pull of a big calendar
        if deleted_ok:
            items = [ev.mjson if ev.deleted else ev.json for ev in cal.events.values()]
        else:
            items = [ev.mjson if ev.deleted else ev.json for ev in cal.events.values()
                     if not ev.deleted or cancelled_instance(cal, ev, single)]
    else:
        for ev in cal.events.values():
            if filtered and not match(ev):
                continue
            if ev.deleted:
                if not deleted_ok and not cancelled_instance(cal, ev, single):
                    continue
                mm = cal.events.get(ev.master) if ev.master else None
                if single and mm is not None and not mm.deleted:
                    continue           # emitted by expand_master of its live master
                rows.append((ev.s, ev.seq, ev.mjson))
                continue
            if ev.master:
                if single:
                    continue           # emitted through its master
                m = cal.events.get(ev.master)
                if m is None or m.deleted:
                    continue
                if (tmin is None or ev.e > tmin) and (tmax is None or ev.s < tmax):
                    rows.append((ev.s, ev.seq, ev.json))
                continue
            if ev.r.get('recurrence'):
                if single:
                    for s, j in expand_master(cal, ev, tmin, tmax, bool(deleted_ok)):
                        rows.append((s, ev.seq, j))
                else:
                    if tmax is not None and ev.s >= tmax:
                        continue
                    if tmin is not None and not expand_master(cal, ev, tmin, tmax):
                        continue
                    rows.append((ev.s, ev.seq, ev.json))
                continue
            if (tmin is None or ev.e > tmin) and (tmax is None or ev.s < tmax):
                rows.append((ev.s, ev.seq, ev.json))
        if order == 'updated':
            rows.sort(key=lambda x: x[1])
        elif single or order == 'startTime':
            rows.sort(key=lambda x: x[0])
        items = [j for _, _, j in rows]
    sync = enc_token({'c': cal.id, 's': seq, 'e': cal.sync_epoch})
    return page_out(st, head, items, maxr, sync, user=a and a['user'], cal_id=cal.id)


def list_instances(st, req, a, cal, eid):
    q = req.q1
    m = cal.events.get(eid)
    if m is None:
        not_found()
    if m.deleted and not qbool(q, 'showDeleted'):
        fail(410, 'deleted', 'Resource has been deleted')
    maxr = qmax(q, 250, 2500)
    head = list_head(cal, q, st.change_seq)
    if q.get('pageToken'):
        t = dec_token(q['pageToken'])
        entry = st.page_cache.get(t.get('k')) if isinstance(t, dict) else None
        if not entry or entry['cal'] != cal.id:
            bad('Invalid page token value.')
        return page_out(st, head, entry['items'], maxr, None, t['o'], t['k'], cal_id=cal.id)
    tmin, tmax = qtime(q, 'timeMin'), qtime(q, 'timeMax')
    if not m.r.get('recurrence'):
        items = [m.json]
    else:
        rows = expand_master(cal, m, tmin, tmax, bool(qbool(q, 'showDeleted')))
        rows.sort(key=lambda x: x[0])
        items = [j for _, j in rows]
    return page_out(st, head, items, maxr, None, cal_id=cal.id)


def import_event(st, cal, body, user):
    if not body.get('iCalUID'):
        fail(400, 'required', 'Missing iCalUID.')
    for ev in cal.events.values():
        if ev.r.get('iCalUID') == body['iCalUID'] and not ev.master:
            b = dict(body)
            b.setdefault('status', 'confirmed')
            return update_event(st, cal, ev.id, b, user)
    return insert_event(st, cal, body, user)


def calendar_list(st, req, a):
    q = req.q1
    maxr = qmax(q, 100, 250)
    have = set(a['scopes']) & R_CALLIST
    cals = [c for c in st.cals.values() if c.owner == a['user'] and
            (have != {APP_CREATED} or c.created_by_client == a['client_id'])]
    if not qbool(q, 'showHidden'):
        cals = [c for c in cals if not c.hidden]
    off = 0
    if q.get('pageToken'):
        t = dec_token(q['pageToken'])
        if not isinstance(t, dict) or not isinstance(t.get('o'), int):
            bad('Invalid page token value.')
        off = t['o']
    page = cals[off:off + maxr]
    out = OrderedDict(kind='calendar#calendarList', etag='"p%013x"' % len(st.cals))
    if off + maxr < len(cals):
        out['nextPageToken'] = enc_token({'o': off + maxr})
    else:
        out['nextSyncToken'] = enc_token({'cl': a['user'], 's': st.change_seq})
    out['items'] = [c.list_entry(a['user']) for c in page]
    return jresp(200, out)


# --------------------------------------------------------------------------
def api(st, req, segs):
    """Entry for /calendar/v3/...: auth, quota, routing."""
    return serve(st, req, lambda a: route(st, req, a, segs))


def serve(st, req, handle):
    """A Calendar API call (events, lists, watch and stop alike): the
    bearer token, the user's quota, then handle(access); its ApiError is
    the answer."""
    tok = bearer(req)
    if not tok:
        return login_required_401()
    a = lookup_access(st, tok)
    if not a:
        return auth_error_401()
    req.user = a['user']
    emu_quota.seen(st, a)
    if not st.quota_take(a['user']):
        emu_quota.refused_rate(st)
        return fault_error(st.quota_status, 'rateLimitExceeded',
                           retry_after=st.quota_retry_after(a['user']))
    r = emu_quota.check(st, a, req.method)
    if r is not None:
        return r
    try:
        return handle(a)
    except ApiError as e:
        return e.resp


def nf_html():
    return Resp(404, '<!DOCTYPE html><html><body><p>404. That\'s an error.</p><p>The '
                'requested URL was not found on this server.</p></body></html>\n',
                ctype='text/html; charset=UTF-8')


def route(st, req, a, segs):
    m = req.method
    n = len(segs)
    if n >= 3 and segs[0] == 'users' and segs[1] == 'me' and segs[2] == 'calendarList':
        if n == 3 and m == 'GET':
            check_scope(a, R_CALLIST, 'calendar.v3.CalendarList.List')
            return calendar_list(st, req, a)
        if n == 4 and m == 'GET':
            check_scope(a, R_CALLIST, 'calendar.v3.CalendarList.Get')
            cal = get_cal(st, a, segs[3])
            check_scope(a, R_CALLIST, 'calendar.v3.CalendarList.Get', cal)
            return jresp(200, cal.list_entry(a['user']))
        return nf_html()
    if n == 0 or segs[0] != 'calendars':
        return nf_html()
    if n == 1:
        if m != 'POST':
            return nf_html()
        check_scope(a, W_CALS, 'calendar.v3.Calendars.Insert')
        body = json_body(req)
        if not body.get('summary'):
            fail(400, 'required', 'Missing title.')
        tz = body.get('timeZone')
        if tz:
            zone(tz, 'calendar')
        cal = st.add_calendar(a['user'], body['summary'], tz, client_id=a['client_id'],
                              description=body.get('description'))
        return jresp(200, cal.resource())
    cid = segs[1]
    if n == 2:
        if m == 'GET':
            check_scope(a, R_CALS, 'calendar.v3.Calendars.Get')
            cal = get_cal(st, a, cid)
            check_scope(a, R_CALS, 'calendar.v3.Calendars.Get', cal)
            return jresp(200, cal.resource())
        if m == 'DELETE':
            check_scope(a, W_CALS, 'calendar.v3.Calendars.Delete')
            cal = get_cal(st, a, cid)
            check_scope(a, W_CALS, 'calendar.v3.Calendars.Delete', cal)
            if cal.primary:
                # not in the errors guide; see README "deviations"
                bad('Cannot delete primary calendar.', reason='cannotDeletePrimaryCalendar')
            del st.cals[cal.id]
            return Resp(204, b'', ctype=None)
        if m in ('PUT', 'PATCH'):
            check_scope(a, W_CALS, 'calendar.v3.Calendars.Update')
            cal = get_cal(st, a, cid)
            check_scope(a, W_CALS, 'calendar.v3.Calendars.Update', cal)
            body = json_body(req)
            if m == 'PUT' and not body.get('summary'):
                fail(400, 'required', 'Missing title.')
            if body.get('timeZone'):
                zone(body['timeZone'], 'calendar')
                cal.tz = body['timeZone']
            cal.summary = body.get('summary', cal.summary)
            cal.description = body.get('description', cal.description)
            cal.etag = '"%d"' % int(now() * 1000000)
            return jresp(200, cal.resource())
        return nf_html()
    if n == 3 and segs[2] == 'clear' and m == 'POST':
        check_scope(a, CLEAR, 'calendar.v3.Calendars.Clear')
        cal = get_cal(st, a, cid)
        if not cal.primary:
            # calendars.clear: "Clears a primary calendar"; Google answers a secondary
            # calendar with this (odd) message
            bad('Cannot clear primary calendar.')
        for ev in list(cal.events.values()):
            if not ev.deleted:
                r = OrderedDict(ev.r)
                r['status'] = 'cancelled'
                store(st, cal, ev.id, r, ev.s, ev.e, master=ev.master)
        return Resp(204, b'', ctype=None)
    if segs[2] != 'events':
        return nf_html()
    if n == 3:
        if m == 'GET':
            check_scope(a, R_EVENTS, 'calendar.v3.Events.List')
            cal = get_cal(st, a, cid)
            check_scope(a, R_EVENTS, 'calendar.v3.Events.List', cal)
            return list_events(st, req, a, cal)
        if m == 'POST':
            check_scope(a, W_EVENTS, 'calendar.v3.Events.Insert')
            cal = get_cal(st, a, cid)
            check_scope(a, W_EVENTS, 'calendar.v3.Events.Insert', cal)
            body = take_body(req, json_body(req))
            check_type(cal, body)
            return ev_resp(insert_event(st, cal, body, a['user']))
        return nf_html()
    eid = segs[3]
    if n == 4 and eid == 'import' and m == 'POST':
        check_scope(a, W_EVENTS, 'calendar.v3.Events.Import')
        cal = get_cal(st, a, cid)
        check_scope(a, W_EVENTS, 'calendar.v3.Events.Import', cal)
        body = take_body(req, json_body(req))
        check_type(cal, body, importing=True)
        return ev_resp(import_event(st, cal, body, a['user']))
    if n == 5 and segs[4] == 'instances' and m == 'GET':
        check_scope(a, R_EVENTS, 'calendar.v3.Events.Instances')
        cal = get_cal(st, a, cid)
        check_scope(a, R_EVENTS, 'calendar.v3.Events.Instances', cal)
        return list_instances(st, req, a, cal, eid)
    if n == 5 and segs[4] == 'move' and m == 'POST':
        check_scope(a, W_EVENTS, 'calendar.v3.Events.Move')
        cal = get_cal(st, a, cid)
        check_scope(a, W_EVENTS, 'calendar.v3.Events.Move', cal)
        dest = req.q1.get('destination')
        if not dest:
            fail(400, 'required', 'Required parameter: destination')
        dcal = get_cal(st, a, dest)
        check_scope(a, W_EVENTS, 'calendar.v3.Events.Move', dcal)
        return ev_resp(move_event(st, cal, eid, dcal))
    if n != 4:
        return nf_html()
    if m == 'GET':
        check_scope(a, R_EVENTS, 'calendar.v3.Events.Get')
        cal = get_cal(st, a, cid)
        check_scope(a, R_EVENTS, 'calendar.v3.Events.Get', cal)
        ev, _ = get_event_any(st, cal, eid)
        if ev is None:
            not_found()
        check_if_match(req, ev)
        inm = req.headers.get('If-None-Match')
        if inm and inm.strip() == ev.r['etag']:
            return Resp(304, b'', ctype=None, headers=[('ETag', ev.r['etag'])])
        return ev_resp(ev)
    if m in ('PUT', 'PATCH', 'DELETE'):
        name = {'PUT': 'Update', 'PATCH': 'Patch', 'DELETE': 'Delete'}[m]
        check_scope(a, W_EVENTS, 'calendar.v3.Events.' + name)
        cal = get_cal(st, a, cid)
        check_scope(a, W_EVENTS, 'calendar.v3.Events.' + name, cal)
        ev, _ = get_event_any(st, cal, eid)
        if ev is None:
            not_found()
        check_if_match(req, ev)
        if m == 'DELETE':
            delete_event(st, cal, eid)
            return Resp(204, b'', ctype=None)
        body = take_body(req, json_body(req), None if m == 'PATCH' else ev.r)
        check_type(cal, merge(client_view(ev.r), dict(body)) if m == 'PATCH' else body, ev.r)
        return ev_resp(update_event(st, cal, eid, body, a['user'], patch=(m == 'PATCH')))
    if m == 'POST' and eid in ('quickAdd', 'watch'):
        bad('Not supported by the emulator.', reason='badRequest')
    return nf_html()


# --------------------------------------------------------------------------
# Batch: https://developers.google.com/workspace/calendar/api/guides/batch
MAX_BATCH = 1000
REASONS = {200: 'OK', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request',
           401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 410: 'Gone',
           412: 'Precondition Failed', 429: 'Too Many Requests', 500: 'Internal Server Error',
           503: 'Service Unavailable'}


def cancelled_instance(cal, ev, single):
    """events.list, showDeleted: "Cancelled instances of recurring events (but
    not the underlying recurring event) will still be included if showDeleted
    and singleEvents are both False." """
    if single or not ev.master:
        return False
    m = cal.events.get(ev.master)
    return m is not None and not m.deleted


def log_body(req):
    """A Calendar request's JSON body for the request log (event resources
    only: no OAuth request reaches this), or None."""
    if not req.body.strip():
        return None
    try:
        return req.json()
    except ValueError:
        return '(not JSON)'


def parse_multipart(body, boundary):
    delim = b'--' + boundary.encode()
    chunks = body.split(delim)
    parts = []
    for c in chunks[1:]:
        if c.startswith(b'--'):
            break
        if c.startswith(b'\r\n'):
            c = c[2:]
        elif c.startswith(b'\n'):
            c = c[1:]
        if c.endswith(b'\r\n'):
            c = c[:-2]
        elif c.endswith(b'\n'):
            c = c[:-1]
        parts.append(c)
    return parts


def split_head(blob):
    m = re.search(rb'\r?\n\r?\n', blob)
    if not m:
        return blob, b''
    return blob[:m.start()], blob[m.end():]


def parse_headers(raw):
    h = {}
    lines = raw.decode('utf-8', 'replace').splitlines()
    for line in lines:
        if ':' in line:
            k, v = line.split(':', 1)
            h[k.strip().lower()] = v.strip()
    return h, lines


class Headers:
    def __init__(self, d):
        self.d = {k.lower(): v for k, v in d.items()}

    def get(self, k, default=None):
        return self.d.get(k.lower(), default)


def batch(st, req, make_req, match_part_fault):
    ctype = req.headers.get('Content-Type', '')
    m = re.search(r'boundary="?([^";]+)"?', ctype)
    if not ctype.lower().startswith('multipart/mixed') or not m:
        return gerr(400, 'badRequest', 'Invalid multipart request with 0 mime parts.')
    parts = parse_multipart(req.body, m.group(1))
    req.batch_parts = len(parts)
    if not parts:
        return gerr(400, 'badRequest', 'Invalid multipart request with 0 mime parts.')
    if len(parts) > MAX_BATCH:
        return gerr(400, 'badRequest', 'A batch request cannot contain more than %d calls.'
                    % MAX_BATCH)
    outer_auth = req.headers.get('Authorization')
    req.parts_log = []
    users = set()
    out = []
    for p in parts:
        mh, inner = split_head(p)
        mhd, _ = parse_headers(mh)
        cid = mhd.get('content-id')
        ih, ibody = split_head(inner)
        ihd, lines = parse_headers(ih)
        resp = None
        try:
            reqline = lines[0].split()
            meth, target = reqline[0].upper(), reqline[1]
        except IndexError:
            resp = gerr(400, 'badRequest', 'Bad Request')
            meth = target = ''
        if resp is None:
            target = re.sub(r'^https?://[^/]+', '', target)
            if outer_auth and 'authorization' not in ihd:
                ihd['authorization'] = outer_auth
            sub = make_req(meth, target, Headers(ihd), ibody)
            logged = OrderedDict(method=meth, path=sub.path, query={
                k: (v[0] if len(v) == 1 else v) for k, v in sub.q.items()})
            logged['body'] = log_body(sub)
            req.parts_log.append(logged)
            f = match_part_fault(meth, sub.path)
            if f is not None:
                resp = f
            elif sub.path.startswith('/calendar/v3/') or sub.path == '/calendar/v3':
                segs = sub.segs[2:]
                resp = api(st, sub, segs)
                if sub.user:
                    users.add(sub.user)
            else:
                resp = nf_html()
        if resp is not None and req.parts_log and 'status' not in req.parts_log[-1]:
            req.parts_log[-1]['status'] = resp.status
        buf = [b'Content-Type: application/http\r\n']
        if cid is not None:
            c = cid[1:-1] if cid.startswith('<') and cid.endswith('>') else cid
            buf.append(b'Content-ID: <response-' + c.encode() + b'>\r\n')
        buf.append(b'\r\n')
        buf.append(('HTTP/1.1 %d %s\r\n' % (resp.status, REASONS.get(resp.status, 'Error')))
                   .encode())
        for k, v in resp.headers:
            buf.append(('%s: %s\r\n' % (k, v)).encode())
        buf.append(b'Content-Length: %d\r\n\r\n' % len(resp.body))
        buf.append(resp.body)
        buf.append(b'\r\n')
        out.append(b''.join(buf))
    req.user = next(iter(users)) if len(users) == 1 else (sorted(users)[0] if users else None)
    bnd = 'batch_' + b64u(time.time_ns().to_bytes(8, 'big'))
    body = b''.join(b'--' + bnd.encode() + b'\r\n' + o for o in out) + \
        b'--' + bnd.encode() + b'--\r\n'
    return Resp(200, body, ctype='multipart/mixed; boundary=' + bnd)
