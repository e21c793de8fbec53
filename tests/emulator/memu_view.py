"""Recurring series, calendarView, instances and calendarView delta of memu.

From the Graph v1.0 reference: "patternedRecurrence", "recurrencePattern",
"recurrenceRange", "List calendarView", "List instances", "event: delta"
and "Get incremental changes to events in a calendar view".
"""
import base64
import binascii
import datetime as dt
import hashlib
from collections import OrderedDict

import memu_events as mev
import memu_graph as mg
from memu_core import ApiError, change_key, fail, gerr, jresp, now, parse_offset_time

DAYS = ('monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday')
INDEX = {'first': 0, 'second': 1, 'third': 2, 'fourth': 3, 'last': -1}
MAX_STEPS = 200000
WINDOW_MSG = ('This request requires a time window specified by the query string parameters '
              'StartDateTime and EndDateTime.')


# ---------------------------------------------------------------------------
def _month_days(y, m, days):
    d = dt.date(y, m, 1)
    out = []
    while d.month == m:
        if DAYS[d.weekday()] in days:
            out.append(d)
        d += dt.timedelta(days=1)
    return out


def _add_months(y, m, n):
    m0 = y * 12 + (m - 1) + n
    return m0 // 12, m0 % 12 + 1


def pattern_dates(rec, until):
    """Dates of a patternedRecurrence from range.startDate, in order, up to until."""
    p, g = rec['pattern'], rec['range']
    start = dt.date.fromisoformat(g['startDate'])
    end = dt.date.fromisoformat(g['endDate']) if g['type'] == 'endDate' else None
    count = g['numberOfOccurrences'] if g['type'] == 'numbered' else None
    iv = max(1, int(p.get('interval') or 1))
    days = [d.lower() for d in p.get('daysOfWeek') or []]
    n = 0
    for d in _candidates(p['type'], p, start, iv, days):
        if d < start:
            continue
        if (end is not None and d > end) or d > until or (count is not None and n >= count):
            return
        n += 1
        yield d


def _candidates(kind, p, start, iv, days):
    steps = 0
    if kind == 'daily':
        d = start
        while steps < MAX_STEPS:
            yield d
            d += dt.timedelta(days=iv)
            steps += 1
        return
    if kind == 'weekly':
        fd = DAYS.index((p.get('firstDayOfWeek') or 'sunday').lower())
        w = start - dt.timedelta(days=(start.weekday() - fd) % 7)
        offs = sorted((DAYS.index(x) - fd) % 7 for x in days)
        while steps < MAX_STEPS:
            for o in offs:
                yield w + dt.timedelta(days=o)
            w += dt.timedelta(days=7 * iv)
            steps += 1
        return
    y, m = start.year, start.month
    months = iv if kind.endswith('Monthly') else 12 * iv
    if kind.endswith('Yearly'):
        m = int(p.get('month') or start.month)
        if dt.date(y, m, 1) < dt.date(start.year, start.month, 1):
            y += 1
    while steps < MAX_STEPS and y < 9999:
        if kind.startswith('absolute'):
            # Outlook: "Some months have fewer than 31 days. For these
            # months, the occurrence will fall on the last day of the
            # month." (unlike RRULE's BYMONTHDAY, which skips them)
            last = (dt.date(*_add_months(y, m, 1), 1) - dt.timedelta(days=1)).day
            yield dt.date(y, m, min(int(p.get('dayOfMonth') or start.day), last))
        else:
            cand = _month_days(y, m, days)
            i = INDEX.get((p.get('index') or 'first').lower(), 0)
            if cand and (i == -1 or i < len(cand)):
                yield cand[i]
        y, m = _add_months(y, m, months)
        steps += 1


# ---------------------------------------------------------------------------
def okey(naive):
    return naive.strftime('%Y-%m-%dT%H:%M:%S')


def occ_id(ev, key, immutable):
    raw = ('occ:%s:%s' % (ev.key, key)).encode()
    return ('AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0BB' if immutable else 'AAMkADBB') + \
        base64.urlsafe_b64encode(raw).decode()


def master_id(ctx, ev):
    return ev.iid if ctx.immutable else ev.rid


def _occ(ctx, ev, key, start, end, exc):
    ck = exc['ck'] if exc else ''
    h = hashlib.sha1((ev.ck + key + ck).encode()).digest()
    o = {'id': occ_id(ev, key, ctx.immutable), 'master': master_id(ctx, ev),
         'type': 'exception' if exc else 'occurrence',
         'orig': mev.aware(dt.datetime.fromisoformat(key), ev.stz),
         'start': exc['start'] if exc else start, 'end': exc['end'] if exc else end,
         'ck': 'DwAAABYAAA' + base64.b64encode(h).decode(),
         'modified': exc['modified'] if exc else ev.modified,
         'over': exc['over'] if exc else None, 'key': key, 'rid': occ_id(ev, key, False),
         'iid': occ_id(ev, key, True)}
    return o


def occurrences(ctx, ev, until):
    """Occurrences and exceptions of series ev that start on or before date until."""
    dur = mev.aware(ev.end, ev.etz) - mev.aware(ev.start, ev.stz)
    allday = ev.r.get('isAllDay')
    out = []
    for d in pattern_dates(ev.r['recurrence'], until):
        s = dt.datetime.combine(d, ev.start.time())
        key = okey(s)
        if key in ev.cancelled_occ:
            continue
        if allday:
            e = s + (ev.end - ev.start)
        else:
            e = (mev.aware(s, ev.stz) + dur).astimezone(mev.zone(ev.etz)).replace(tzinfo=None)
        out.append(_occ(ctx, ev, key, s, e, ev.exceptions.get(key)))
    return out


def find_occurrence(ctx, eid):
    """(master, occurrence) for an occurrence id of either id type, or (None, None)."""
    for pre in ('AAkALgAAAAAAHYQDEapmEc2byACqAC-EWg0BB', 'AAMkADBB'):
        if eid.startswith(pre):
            try:
                raw = base64.urlsafe_b64decode(eid[len(pre):].encode()).decode()
            except (binascii.Error, ValueError, UnicodeDecodeError):
                return None, None
            parts = raw.split(':', 2)
            if len(parts) != 3 or parts[0] != 'occ':
                return None, None
            for c in ctx.user.calendars.values():
                ev = c.events.get(parts[1])
                if ev is not None and ev.r.get('recurrence'):
                    try:
                        day = dt.date.fromisoformat(parts[2][:10])
                    except ValueError:
                        return None, None
                    for o in occurrences(ctx, ev, day):
                        if o['key'] == parts[2]:
                            return ev, o
            return None, None
    return None, None


class _Times:
    start = end = None
    stz = etz = 'UTC'


def patch_occurrence(ctx, ev, occ, b):
    """PATCH of one occurrence: it becomes (or stays) an exception of the series."""
    if 'recurrence' in b:
        fail(400, 'ErrorInvalidRequest', "Your request can't be completed. An occurrence "
             'cannot be given a recurrence.')
    t = _Times()
    t.start, t.end, t.stz, t.etz = occ['start'], occ['end'], ev.stz, ev.etz
    for k in ('start', 'end'):
        if k in b:
            mev.set_time(t, k, b[k])
            # kept in the series' zones
            tz = ev.stz if k == 'start' else ev.etz
            a = mev.aware(getattr(t, k), t.stz if k == 'start' else t.etz)
            setattr(t, k, a.astimezone(mev.zone(tz)).replace(tzinfo=None))
    over = dict(occ['over'] or {})
    for k in ('subject', 'body', 'location', 'locations', 'showAs', 'sensitivity', 'importance',
              'categories', 'attendees', 'isReminderOn', 'reminderMinutesBeforeStart'):
        if k in b:
            over[k] = b[k]
    if 'body' in b:
        over['body'] = {'contentType': (b['body'] or {}).get('contentType', 'text').lower(),
                        'content': (b['body'] or {}).get('content', '')}
    if 'location' in b:
        over['location'] = mev.norm_location(b['location'])
    if 'attendees' in b:
        over['attendees'] = [mev.norm_attendee(a) for a in b['attendees'] or []]
    if mev.aware(t.end, ev.etz) < mev.aware(t.start, ev.stz):
        fail(400, 'ErrorInvalidRequest', "Your request can't be completed. The end time must "
             'not be before the start time.')
    ev.exceptions[occ['key']] = {'over': over, 'start': t.start, 'end': t.end,
                                 'ck': change_key(), 'modified': now()}
    ctx.st.change_seq += 1


def cancel_occurrence(ctx, ev, occ):
    ev.cancelled_occ.add(occ['key'])
    ev.exceptions.pop(occ['key'], None)
    ctx.st.change_seq += 1


def prune_exceptions(ev):
    """A changed pattern or series start drops the series' exceptions, as Outlook does."""
    ev.exceptions.clear()
    ev.cancelled_occ.clear()


# ---------------------------------------------------------------------------
def window(ctx, required=True):
    q = ctx.req.q1
    s, e = q.get('startDateTime') or q.get('StartDateTime'), \
        q.get('endDateTime') or q.get('EndDateTime')
    if not s or not e:
        if required:
            fail(400, 'ErrorInvalidParameter', WINDOW_MSG)
        return None
    try:
        ws, we = parse_offset_time(s), parse_offset_time(e)
    except ValueError:
        fail(400, 'ErrorInvalidParameter', WINDOW_MSG)
    return ws, we


def in_view(ctx, cal, ws, we, only=None):
    """[(sort time, Event, occurrence or None)] of cal overlapping [ws, we)."""
    out = []
    until = (we + dt.timedelta(days=1)).date()
    for ev in (only or cal.events.values()):
        if ev.r.get('recurrence'):
            for o in occurrences(ctx, ev, until):
                s, e = mev.aware(o['start'], ev.stz), mev.aware(o['end'], ev.etz)
                if s < we and (e > ws or (s == e and s >= ws)):
                    out.append((s, ev, o))
            continue
        s, e = mev.aware(ev.start, ev.stz), mev.aware(ev.end, ev.etz)
        if s < we and (e > ws or (s == e and s >= ws)):
            out.append((s, ev, None))
    out.sort(key=lambda x: x[0])
    return out


def view(ctx, cal, tail, path):
    if ctx.req.method != 'GET':
        return None
    if tail and tail[0] in ('delta', 'delta()', 'microsoft.graph.delta'):
        return delta(ctx, cal, path + '/delta')
    if tail:
        return None
    ws, we = window(ctx)
    items = in_view(ctx, cal, ws, we)
    return mg.page(ctx, items, lambda x: mev.render(ctx, x[1], x[2]), path,
                    "users('%s')/calendarView" % ctx.user.id)


def instances(ctx, ev):
    ws, we = window(ctx)
    if not ev.r.get('recurrence'):
        items = []
    else:
        items = in_view(ctx, ev.cal, ws, we, only=[ev])
    return mg.page(ctx, items, lambda x: mev.render(ctx, x[1], x[2]),
                    'me/events/%s/instances' % master_id(ctx, ev),
                    "users('%s')/events('%s')/instances" % (ctx.user.id, master_id(ctx, ev)))


# ---------------------------------------------------------------------------
def snapshot(items):
    snap = {}
    for _, ev, o in items:
        if o:
            snap[ev.key + '/' + o['key']] = (o['ck'], o['rid'], o['iid'])
        else:
            snap[ev.key] = (ev.ck, ev.rid, ev.iid)
    return snap


def gone(code):
    # Synchronization reset ("Use delta query", "Get incremental changes to
    # events in a calendar view"): 410 Gone, a full round must start again
    msgs = {'syncStateNotFound': 'The sync state generation is not found. The delta token is '
            'expired and data must be synchronized again.',
            'resyncRequired': 'Resync required. Replace any local references to the items '
            'with those of a new full synchronization.'}
    return ApiError(gerr(410, code, msgs.get(code, msgs['syncStateNotFound'])))


def delta(ctx, cal, path):
    st, q = ctx.st, ctx.req.q1
    if '$skiptoken' in q:
        t = st.pages.get(q['$skiptoken'])
        if t is None or t['pg']['cal'].delta_epoch != t['pg']['epoch']:
            raise gone(t['pg']['cal'].delta_code if t else 'syncStateNotFound')
        return delta_page(ctx, t['pg'], t['pos'])
    if '$deltatoken' in q:
        d = st.deltas.get(q['$deltatoken'])
        if d is None:
            raise gone('syncStateNotFound')
        if d['cal'].delta_epoch != d['epoch'] or d['cal'].owner is not ctx.user:
            raise gone(d['cal'].delta_code)
        cal, ws, we, old = d['cal'], d['ws'], d['we'], d['snap']
    else:
        ws, we = window(ctx)
        old = {}
    items = in_view(ctx, cal, ws, we)
    snap = snapshot(items)
    entries = []
    for _, ev, o in items:
        k = ev.key + '/' + o['key'] if o else ev.key
        if old.get(k, (None,))[0] != snap[k][0]:
            entries.append((ev, o))   # rendered when its page is asked for
    for k, v in old.items():
        if k not in snap:
            entries.append(OrderedDict([('@odata.type', '#microsoft.graph.event'),
                                        ('id', v[2] if ctx.immutable else v[1]),
                                        ('@removed', {'reason': 'deleted'})]))
    pg = {'cal': cal, 'epoch': cal.delta_epoch, 'entries': entries, 'ws': ws,
          'we': we, 'snap': snap, 'path': path}
    return delta_page(ctx, pg, 0)


def delta_page(ctx, pg, pos):
    """One page of a delta round; each $skiptoken names a fixed position, so a
    page fetched again (a retry) answers the same."""
    st = ctx.st
    size = ctx.maxpage or st.page_size
    chunk = pg['entries'][pos:pos + size]
    pos += len(chunk)
    out = OrderedDict([('@odata.context', 'https://graph.microsoft.com/v1.0/$metadata#'
                        'Collection(event)')])
    if pos < len(pg['entries']):
        tok = st.cache(st.pages, {'pg': pg, 'pos': pos})
        out['@odata.nextLink'] = ctx.base + pg['path'] + '?$skiptoken=' + tok
    else:
        tok = st.cache(st.deltas, {'cal': pg['cal'], 'epoch': pg['epoch'], 'ws': pg['ws'],
                                   'we': pg['we'], 'snap': pg['snap']})
        out['@odata.deltaLink'] = ctx.base + pg['path'] + '?$deltatoken=' + tok
    out['value'] = [x if isinstance(x, dict) else mev.render(ctx, x[0], x[1]) for x in chunk]
    h = ctx.headers()
    if ctx.maxpage:
        h.append(('Preference-Applied', 'odata.maxpagesize=%d' % ctx.maxpage))
    return jresp(200, out, h)
