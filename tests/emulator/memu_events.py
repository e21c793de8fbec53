"""Graph v1.0 events of memu: create, read, update, delete, list, render.

From the Graph v1.0 reference: "user", "calendar resource type", "event
resource type", "Create event", "Update event", "Delete event", "Get event",
"List events", "singleValueLegacyExtendedProperty", "Get Outlook entities
by using immutable ids" and "Use the Prefer header".
"""
import datetime as dt
import re
import urllib.parse
from collections import OrderedDict

import memu_graph as mg
import memu_view
from memu_core import (UTC, ApiError, Event, change_key, fail, graph_time, iso_utc, not_found,
                       now, parse_local, rest_id, zone)

ENUMS = {'importance': ('low', 'normal', 'high'),
         'sensitivity': ('normal', 'personal', 'private', 'confidential'),
         'showAs': ('free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown')}
WRITABLE = ('subject', 'body', 'importance', 'sensitivity', 'showAs', 'isAllDay', 'categories',
            'location', 'locations', 'attendees', 'recurrence', 'responseRequested',
            'reminderMinutesBeforeStart', 'isReminderOn', 'isOnlineMeeting',
            'onlineMeetingProvider', 'allowNewTimeProposals', 'hideAttendees', 'start', 'end',
            'transactionId', 'singleValueExtendedProperties', 'organizer', 'isCancelled')
READ_ONLY = ('@odata.etag', '@odata.context', '@odata.type', 'id', 'createdDateTime',
             'lastModifiedDateTime', 'changeKey', 'originalStartTimeZone', 'originalEndTimeZone',
             'iCalUId', 'uid', 'hasAttachments', 'bodyPreview', 'isOrganizer', 'seriesMasterId',
             'type', 'webLink', 'onlineMeetingUrl', 'isDraft', 'responseStatus', 'onlineMeeting',
             'originalStart', 'occurrenceId', 'calendar@odata.navigationLink',
             'calendar@odata.associationLink')
PAT_TYPES = ('daily', 'weekly', 'absoluteMonthly', 'relativeMonthly', 'absoluteYearly',
             'relativeYearly')
EXT_ID = re.compile(r'(String|Integer|Boolean|SystemTime|Double|Binary|Currency|Short|Long|'
                    r'Float|CLSID|Guid) (\{[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\} '
                    r'(Name \S.*|Id 0x[0-9a-fA-F]{1,4})|0x[0-9a-fA-F]{1,4})')


def strip_html(s):
    t = re.sub(r'(?is)<(script|style).*?</\1>', '', s or '')
    t = re.sub(r'<[^>]+>', ' ', t)
    t = re.sub(r'\s+', ' ', t).strip()
    return t.replace('&nbsp;', ' ').replace('&lt;', '<').replace('&gt;', '>') \
        .replace('&amp;', '&')


# Exchange stores a text body as HTML and answers HTML unless asked
# (Prefer: outlook.body-content-type="text"), as real events show:
# '<html><head><meta name="Generator" content="Microsoft Exchange Server">
# <!-- converted from text --> ...'
TEXT_HTML = ('<html><head>\r\n<meta name="Generator" content="Microsoft Exchange Server">\r\n'
             '<!-- converted from text -->\r\n<style><!-- .EmailQuote { margin-left: 1pt; '
             'padding-left: 4pt; border-left: #800000 2px solid; } --></style></head>\r\n'
             '<body>\r\n<font size="2"><span style="font-size:11pt;"><div class="PlainText">'
             '%s</div></span></font>\r\n</body>\r\n</html>\r\n')
HTML_WRAP = ('<html><head>\r\n<meta http-equiv="Content-Type" content="text/html; '
             'charset=utf-8">\r\n</head>\r\n<body>\r\n%s\r\n</body>\r\n</html>\r\n')


def html_to_text(h):
    t = re.sub(r'(?is)<(head|script|style)\b.*?</\1>', '', h or '')
    t = re.sub(r'(?i)<br\s*/?>|</p>|</div>', '\n', t)
    t = re.sub(r'<[^>]+>', '', t)
    t = re.sub(r'\r\n?', '\n', t)
    t = t.replace('&nbsp;', ' ').replace('&lt;', '<').replace('&gt;', '>') \
        .replace('&quot;', '"').replace('&#39;', "'").replace('&amp;', '&')
    return re.sub(r'\n{3,}', '\n\n', t).strip('\n')


def body_view(ctx, b):
    """The body as answered: HTML (Exchange's wrapping) unless text is preferred."""
    ct, content = b.get('contentType', 'text'), b.get('content') or ''
    want = ctx.body_type or 'html'
    if want == 'text':
        return OrderedDict(contentType='text',
                           content=content if ct == 'text' else html_to_text(content))
    if ct == 'html':
        if not content or re.match(r'(?is)\s*(<!doctype[^>]*>\s*)?<html', content):
            return OrderedDict(contentType='html', content=content)
        return OrderedDict(contentType='html', content=HTML_WRAP % content)
    if not content:
        return OrderedDict(contentType='html', content='')
    esc = content.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
    return OrderedDict(contentType='html', content=TEXT_HTML % esc.replace('\n', '<br>\r\n'))


def bad_value(prop, v):
    fail(400, 'RequestBodyRead', "Cannot convert the literal '%s' to the expected type "
         "'%s'." % (v, prop))


def set_time(ev, which, v):
    if not isinstance(v, dict) or not isinstance(v.get('dateTime'), str):
        fail(400, 'ErrorInvalidRequest', "Your request can't be completed. The '%s' property "
             "must have a 'dateTime' value." % which)
    tzn = v.get('timeZone') or 'UTC'
    if zone(tzn) is None:
        fail(400, 'TimeZoneNotSupportedException', 'A valid TimeZone value must be specified. '
             "The following TimeZone value is not supported: '%s'." % tzn)
    try:
        d = parse_local(v['dateTime'])
    except ValueError:
        bad_value('Edm.DateTimeOffset', v['dateTime'])
    if d.tzinfo is not None:   # an offset given: wall time of that instant in tzn
        d = d.astimezone(zone(tzn)).replace(tzinfo=None)
    if which == 'start':
        ev.start, ev.stz = d, tzn
    else:
        ev.end, ev.etz = d, tzn


def aware(naive, tzn):
    return naive.replace(tzinfo=zone(tzn))


def apply_fields(st, ev, b, create):
    """Check body b against the event type and merge it into ev (PATCH semantics)."""
    for k in b:
        if k in READ_ONLY or k.endswith('@odata.type'):
            continue
        if k not in WRITABLE:
            fail(400, 'RequestBodyRead', "The property '%s' does not exist on type "
                 "'microsoft.graph.event'. Make sure to only use property names that are "
                 "defined by the type or mark the type as open type." % k)
    for k, vals in ENUMS.items():
        if k in b and b[k] not in vals:
            fail(400, 'RequestBodyRead', "Requested value '%s' was not found." % b[k])
    for k in ('start', 'end'):
        if k in b:
            set_time(ev, k, b[k])
    r = ev.r
    for k in WRITABLE:
        if k in b and k not in ('start', 'end', 'singleValueExtendedProperties',
                                'transactionId', 'isCancelled'):
            r[k] = b[k]
    if create and 'transactionId' in b:
        r['transactionId'] = b['transactionId']
        ev.txn = b['transactionId']
    if 'body' in b:
        bd = b['body'] or {}
        ct = (bd.get('contentType') or 'text').lower()
        if ct not in ('text', 'html'):
            fail(400, 'RequestBodyRead', "Requested value '%s' was not found." % ct)
        r['body'] = OrderedDict(contentType=ct, content=bd.get('content') or '')
        r['bodyPreview'] = (strip_html(r['body']['content']) if ct == 'html'
                            else r['body']['content'])[:255]
    if 'location' in b:
        r['location'] = norm_location(b['location'])
        if 'locations' not in b:
            r['locations'] = [r['location']] if r['location'].get('displayName') else []
    if 'attendees' in b:
        r['attendees'] = [norm_attendee(a) for a in b['attendees'] or []]
    for p in b.get('singleValueExtendedProperties') or []:
        if not isinstance(p, dict) or not isinstance(p.get('id'), str) or \
                not EXT_ID.fullmatch(p['id']):
            fail(400, 'ErrorInvalidProperty', 'The property id is not valid: %s'
                 % (p.get('id') if isinstance(p, dict) else p))
        ev.ext[p['id']] = None if p.get('value') is None else str(p['value'])
    if ev.start is None or ev.end is None:
        fail(400, 'ErrorInvalidRequest', "Your request can't be completed. Start and end "
             'times are required.')
    if r.get('isAllDay'):
        if ev.start.time() != dt.time() or ev.end.time() != dt.time() or ev.end <= ev.start:
            fail(400, 'ErrorInvalidRequest', "Your request can't be completed. If the event is "
                 'an all-day event, start and end must be at midnight and end after start.')
    elif aware(ev.end, ev.etz) < aware(ev.start, ev.stz):
        fail(400, 'ErrorInvalidRequest', "Your request can't be completed. The end time must "
             'not be before the start time.')
    if r.get('recurrence') is not None:
        check_recurrence(ev, r['recurrence'])
        r['type'] = 'seriesMaster'
    else:
        r['type'] = 'singleInstance'


def check_recurrence(ev, rec):
    p, g = rec.get('pattern') or {}, rec.get('range') or {}
    if p.get('type') not in PAT_TYPES:
        fail(400, 'ErrorInvalidRequest', "Your request can't be completed. The recurrence "
             "pattern type '%s' is not valid." % p.get('type'))
    if g.get('type') not in ('endDate', 'noEnd', 'numbered'):
        fail(400, 'ErrorInvalidRequest', "Your request can't be completed. The recurrence "
             "range type '%s' is not valid." % g.get('type'))
    try:
        dt.date.fromisoformat(g.get('startDate') or ev.start.date().isoformat())
        if g['type'] == 'endDate':
            dt.date.fromisoformat(g['endDate'])
    except (ValueError, KeyError, TypeError):
        fail(400, 'ErrorInvalidRequest', "Your request can't be completed. The recurrence "
             'range needs a valid startDate (and endDate for type endDate).')
    if g['type'] == 'numbered' and not (isinstance(g.get('numberOfOccurrences'), int) and
                                        g['numberOfOccurrences'] > 0):
        fail(400, 'ErrorInvalidRequest', "Your request can't be completed. "
             'numberOfOccurrences must be a positive number.')
    if p['type'] in ('weekly', 'relativeMonthly', 'relativeYearly') and not p.get('daysOfWeek'):
        fail(400, 'ErrorInvalidRequest', "Your request can't be completed. daysOfWeek is "
             'required for this pattern type.')
    if int(p.get('interval') or 0) < 1:
        fail(400, 'ErrorInvalidRequest', "Your request can't be completed. The recurrence "
             'interval must be at least 1.')
    g.setdefault('startDate', ev.start.date().isoformat())
    g.setdefault('recurrenceTimeZone', ev.stz)
    g.setdefault('endDate', '0001-01-01')
    g.setdefault('numberOfOccurrences', 0)
    p.setdefault('month', 0)
    p.setdefault('dayOfMonth', 0)
    p.setdefault('firstDayOfWeek', 'sunday')
    p.setdefault('index', 'first')
    p.setdefault('daysOfWeek', [])


def norm_location(loc):
    loc = loc or {}
    out = OrderedDict(displayName=loc.get('displayName') or '')
    out['locationType'] = loc.get('locationType', 'default')
    out['uniqueIdType'] = loc.get('uniqueIdType', 'unknown')
    for k in ('locationUri', 'uniqueId'):
        if k in loc:
            out[k] = loc[k]
    out['address'] = loc.get('address') or {}
    out['coordinates'] = loc.get('coordinates') or {}
    return out


def norm_attendee(a):
    out = OrderedDict(type=a.get('type', 'required'))
    st_ = a.get('status') or {}
    out['status'] = OrderedDict(response=st_.get('response', 'none'),
                                time=st_.get('time', '0001-01-01T00:00:00Z'))
    ea = a.get('emailAddress') or {}
    out['emailAddress'] = OrderedDict(name=ea.get('name', ea.get('address', '')),
                                      address=ea.get('address', ''))
    return out


def new_resource(user):
    return OrderedDict([
        ('categories', []), ('transactionId', None), ('reminderMinutesBeforeStart', 15),
        ('isReminderOn', True), ('hasAttachments', False), ('subject', ''),
        ('bodyPreview', ''), ('importance', 'normal'), ('sensitivity', 'normal'),
        ('isAllDay', False), ('isCancelled', False), ('isOrganizer', True),
        ('responseRequested', True), ('showAs', 'busy'), ('type', 'singleInstance'),
        ('onlineMeetingUrl', None), ('isOnlineMeeting', False),
        ('onlineMeetingProvider', 'unknown'), ('allowNewTimeProposals', True),
        ('isDraft', False), ('hideAttendees', False),
        ('body', OrderedDict(contentType='html', content='')),
        ('location', norm_location({})), ('locations', []), ('recurrence', None),
        ('attendees', []),
        ('organizer', {'emailAddress': OrderedDict(name=user.name, address=user.email)})])


def touch(st, ev):
    st.change_seq += 1
    ev.seq = st.change_seq
    ev.modified = now()
    ev.ck = change_key()


def create_event(st, user, cal, b):
    txn = b.get('transactionId')
    if txn:
        for c in user.calendars.values():
            for ev in c.events.values():
                if ev.txn == txn:
                    return ev     # "to avoid redundant POST operations" on client retries
    ev = Event(cal)
    ev.r = new_resource(user)
    apply_fields(st, ev, b, True)
    ev.r['iCalUId'] = '040000008200E00074C5B7101A82E00800000000' + ev.key.upper() + \
        '0' * 32 + ev.key.upper()
    ev.r['uid'] = ev.r['iCalUId']
    ev.created = now()
    touch(st, ev)
    cal.events[ev.key] = ev
    st.by_id[ev.rid] = ev
    st.by_id[ev.iid] = ev
    return ev


def move_event(st, ev, cal):
    """Outlook's own move (drag to another calendar): a new REST id, the same immutable id."""
    del ev.cal.events[ev.key]
    st.by_id.pop(ev.rid, None)
    ev.rid = rest_id()
    ev.cal = cal
    cal.events[ev.key] = ev
    st.by_id[ev.rid] = ev
    touch(st, ev)


def delete_event(st, ev):
    del ev.cal.events[ev.key]
    st.by_id.pop(ev.rid, None)
    st.by_id.pop(ev.iid, None)
    st.change_seq += 1


def etag(ck):
    return 'W/"%s"' % ck


def check_if_match(req, ck):
    im = req.headers.get('If-Match')
    if im is None or im.strip() == '*':
        return
    tags = [t.strip() for t in im.split(',')]
    if etag(ck) not in tags and '"%s"' % ck not in tags:
        fail(412, 'ErrorIrresolvableConflict', 'The change key passed in the request does not '
             'match the current change key for the item.')


def fmt_time(ctx, naive, tzn, all_day):
    if all_day:
        return OrderedDict(dateTime=graph_time(naive), timeZone=ctx.tzname or 'UTC')
    out = aware(naive, tzn).astimezone(zone(ctx.tzname) if ctx.tzname else UTC)
    return OrderedDict(dateTime=graph_time(out), timeZone=ctx.tzname or 'UTC')


def render(ctx, ev, occ=None):
    """The event resource in Graph's property order; occ: an occurrence or exception.
    Single events and masters are cached per changeKey and view (a full
    delta of 10,000 events otherwise spends seconds here); callers must not
    change what it returns."""
    if occ is not None:
        return _render(ctx, ev, occ)
    key = (ev.ck, ev.rid, ctx.tzname, ctx.body_type, ctx.immutable, tuple(ctx.select or ()),
           None if ctx.expand_ids is None else tuple(ctx.expand_ids))
    if ev.rcache is None or ev.rcache[0] != key:
        ev.rcache = (key, _render(ctx, ev, None))
    return ev.rcache[1]


def _render(ctx, ev, occ):
    r = ev.r
    o = OrderedDict()
    ck = occ['ck'] if occ else ev.ck
    over = occ.get('over') if occ else None
    o['@odata.etag'] = etag(ck)
    o['id'] = occ['id'] if occ else (ev.iid if ctx.immutable else ev.rid)
    o['createdDateTime'] = iso_utc(ev.created)
    o['lastModifiedDateTime'] = iso_utc(occ['modified'] if occ else ev.modified)
    o['changeKey'] = ck
    o['originalStartTimeZone'] = ev.stz
    o['originalEndTimeZone'] = ev.etz
    o['iCalUId'] = r['iCalUId']
    o['uid'] = r['uid']
    for k, v in r.items():
        if k in ('iCalUId', 'uid', 'organizer', 'attendees', 'recurrence', 'body', 'location',
                 'locations'):
            continue
        o[k] = over.get(k, v) if over else v
        if k == 'isOrganizer':
            o['seriesMasterId'] = occ['master'] if occ else None
    if occ:
        o['type'] = occ['type']
        o['recurrence'] = None
        o['transactionId'] = None
    o['webLink'] = 'https://outlook.office365.com/owa/?itemid=%s&exvsurl=1&path=/calendar/item' \
        % urllib.parse.quote(o['id'], safe='')
    o['responseStatus'] = OrderedDict(response='organizer', time='0001-01-01T00:00:00Z')
    o['body'] = body_view(ctx, (over or {}).get('body', r['body']))
    allday = o['isAllDay']
    s, e = (occ['start'], occ['end']) if occ else (ev.start, ev.end)
    o['start'] = fmt_time(ctx, s, ev.stz, allday)
    o['end'] = fmt_time(ctx, e, ev.etz, allday)
    if occ:
        o['originalStart'] = occ['orig'].astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')
    for k in ('location', 'locations'):
        o[k] = (over or {}).get(k, r[k])
    o['recurrence'] = None if occ else r['recurrence']
    o['attendees'] = (over or {}).get('attendees', r['attendees'])
    o['organizer'] = r['organizer']
    o['onlineMeeting'] = None
    if ctx.expand_ids is not None:
        got = [OrderedDict(id=i, value=ev.ext[i]) for i in ctx.expand_ids if i in ev.ext]
        if got:
            o['singleValueExtendedProperties'] = got
    if ctx.select:
        keep = set(ctx.select) | {'@odata.etag', 'id', 'singleValueExtendedProperties'}
        o = OrderedDict((k, v) for k, v in o.items() if k in keep)
    return o


def find_ext_filter(f):
    """(id, value) from $filter=singleValueExtendedProperties/Any(ep: ep/id eq .. and
    ep/value eq ..); ApiError for any other filter."""
    m = re.fullmatch(r"\s*singleValueExtendedProperties/any\(\s*(\w+)\s*:\s*\1/id\s+eq\s+"
                     r"'((?:[^']|'')*)'\s+and\s+\1/value\s+eq\s+'((?:[^']|'')*)'\s*\)\s*", f, re.I)
    if not m:
        fail(400, 'ErrorInvalidUrlQueryFilter', 'The query filter contains one or more invalid '
             'nodes.')
    return m.group(2).replace("''", "'"), m.group(3).replace("''", "'")


def list_events(ctx, cals, path):
    evs = [ev for c in cals for ev in c.events.values()]
    f = ctx.req.q1.get('$filter')
    if f:
        pid, pval = find_ext_filter(f)
        evs = [ev for ev in evs if ev.ext.get(pid) == pval]
    evs.sort(key=lambda ev: ev.created)
    return mg.page(ctx, evs, lambda ev: render(ctx, ev), path,
                "users('%s')/events" % ctx.user.id)


def lookup(ctx, eid, cal=None):
    """(Event, occurrence or None) for an id of either id type; 404 when unknown."""

    ev = ctx.st.by_id.get(eid)
    occ = None
    if ev is None:
        ev, occ = memu_view.find_occurrence(ctx, eid)
    if ev is None or ev.cal.owner is not ctx.user or (cal is not None and ev.cal is not cal):
        not_found()
    return ev, occ


def item(ctx, ev, occ, status=200):
    """One event as its own answer: @odata.context first; a create's 201 has Location."""
    o = OrderedDict([('@odata.context', "https://graph.microsoft.com/v1.0/$metadata#users('%s')"
                      "/events/$entity" % ctx.user.id)])
    o.update(render(ctx, ev, occ))
    resp = ctx.ok(status, o)
    if status == 201:
        resp.headers.append(('Location', "https://graph.microsoft.com/v1.0/Users('%s')/Events('%s')"
                             % (ctx.user.id, o['id'])))
    return resp


def events(ctx, rest):
    """/events, /calendar(s/{id})/events[/{id}]: list, create, get, update, delete."""
    st, req, m = ctx.st, ctx.req, ctx.req.method

    if rest[0] == 'events':
        cal, tail = None, rest[1:]
    else:
        cal = mg.resolve_cal(ctx, rest)
        tail = rest[(1 if rest[0] == 'calendar' else 2) + 1:]
    if not tail:
        if m == 'GET':
            cals = [cal] if cal else [ctx.user.default]
            return list_events(ctx, cals, '/'.join(['me'] + rest))
        if m == 'POST':
            mg.auth(st, req, 'write')
            ev = create_event(st, ctx.user, cal or ctx.user.default, mg.body_json(req))
            return item(ctx, ev, None, 201)
        return None
    ev, occ = lookup(ctx, tail[0], cal)
    if len(tail) == 2 and tail[1] == 'instances' and m == 'GET' and occ is None:
        return memu_view.instances(ctx, ev)
    if len(tail) != 1:
        return None
    if m == 'GET':
        if occ is not None and occ.get('cancelled'):
            not_found()
        return item(ctx, ev, occ)
    mg.auth(st, req, 'write')
    check_if_match(req, occ['ck'] if occ else ev.ck)
    if m == 'PATCH':
        b = mg.body_json(req)
        if occ is not None:
            memu_view.patch_occurrence(ctx, ev, occ, b)
            ev, occ = lookup(ctx, tail[0], cal)
            return item(ctx, ev, occ)
        old = (ev.start, ev.end, ev.stz, ev.etz, dict(ev.r), dict(ev.ext))
        try:
            apply_fields(st, ev, b, False)
        except ApiError:
            ev.start, ev.end, ev.stz, ev.etz = old[:4]
            ev.r.clear()
            ev.r.update(old[4])
            ev.ext.clear()
            ev.ext.update(old[5])
            raise
        if 'recurrence' in b or 'start' in b:
            memu_view.prune_exceptions(ev)
        touch(st, ev)
        return item(ctx, ev, None)
    if m == 'DELETE':
        if occ is not None:
            memu_view.cancel_occurrence(ctx, ev, occ)
        else:
            delete_event(st, ev)
        return ctx.ok(204, b'')
    return None
