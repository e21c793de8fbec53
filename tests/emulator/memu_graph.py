"""Graph v1.0 routing of memu and its common ground: caller, Prefer, paging, /me, calendars.

From the Graph v1.0 reference: "user", "calendar resource type", "Use the
Prefer header", "Paging Microsoft Graph data in your app" and "Microsoft
Graph error responses and resource types".
"""
import re
import urllib.parse
from collections import OrderedDict

import memu_events as mev
import memu_oauth as oauth
import memu_view
from memu_core import change_key, fail, gerr, jresp, not_found, now, parse_prefer, zone

WWW_AUTH = ('WWW-Authenticate', 'Bearer realm="", authorization_uri="https://login.'
            'microsoftonline.com/common/oauth2/authorize", client_id="%s"' % oauth.GRAPH_APP)

class Ctx:
    """What one Graph request asks for: caller, zone, id type, selection, paging."""

    def __init__(self, st, req, user):
        self.st, self.req, self.user = st, req, user
        pref = parse_prefer(req.headers)
        self.applied = []
        self.tzname = None
        tzv = pref.get('outlook.timezone')
        if tzv and zone(tzv) is not None:
            self.tzname = tzv
            self.applied.append('outlook.timezone="%s"' % tzv)
        self.body_type = None
        bt = pref.get('outlook.body-content-type', '').lower()
        if bt in ('text', 'html'):
            self.body_type = bt
            self.applied.append('outlook.body-content-type="%s"' % bt)
        self.immutable = pref.get('idtype', '').lower() == 'immutableid'
        if self.immutable:
            self.applied.append('IdType="ImmutableId"')
        self.maxpage = None
        mp = pref.get('odata.maxpagesize')
        if mp and mp.isdigit() and int(mp) > 0:
            self.maxpage = int(mp)
        host = req.headers.get('Host') or '127.0.0.1'
        self.base = 'http://' + host + '/v1.0/'
        sel = req.q1.get('$select')
        self.select = [s.strip() for s in sel.split(',')] if sel else None
        self.expand_ids = expand_ids(req.q1.get('$expand'))

    def headers(self):
        h = []
        if self.applied:
            h.append(('Preference-Applied', ', '.join(self.applied)))
        return h

    def ok(self, status, obj):
        return jresp(status, obj, self.headers())


def expand_ids(expand):
    """Ids named in $expand=singleValueExtendedProperties($filter=id eq '...' or ...)."""
    if not expand:
        return None
    m = re.fullmatch(r"\s*singleValueExtendedProperties\s*\(\s*\$filter\s*=\s*(.*)\)\s*",
                     expand, re.I)
    if not m:
        fail(400, 'BadRequest', "Parsing OData Select and Expand failed: Could not find a "
             "property named '%s' on type 'microsoft.graph.event'." % expand.split('(')[0])
    ids = re.findall(r"id\s+eq\s+'((?:[^']|'')*)'", m.group(1), re.I)
    if not ids:
        fail(400, 'BadRequest', 'Invalid filter clause.')
    return [i.replace("''", "'") for i in ids]


# ---------------------------------------------------------------------------
def auth(st, req, need):
    """The caller (User) of a Graph request; need is 'read', 'write' or 'user'."""
    a = req.headers.get('Authorization') or ''
    if not a.lower().startswith('bearer ') or not a[7:].strip():
        fail(401, 'InvalidAuthenticationToken', 'Access token is empty.', [WWW_AUTH])
    tok = a[7:].strip()
    g = st.access.get(tok)
    if g is None:
        if tok.count('.') < 2:
            fail(401, 'InvalidAuthenticationToken', 'IDX14100: JWT is not well formed, there '
                 'are no dots (.).', [WWW_AUTH])
        fail(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid '
             'audience.', [WWW_AUTH])
    if g['exp'] <= now():
        fail(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is '
             'expired.', [WWW_AUTH])
    sc = g['scopes']
    ok = {'user': 'user.read' in sc,
          'read': 'calendars.read' in sc or 'calendars.readwrite' in sc,
          'write': 'calendars.readwrite' in sc}[need]
    req.user = g['user']
    if not ok:
        fail(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.')
    return st.users[g['user']]


def me(ctx):
    u = ctx.user
    first, _, last = u.name.partition(' ')
    return ctx.ok(200, OrderedDict([
        ('@odata.context', 'https://graph.microsoft.com/v1.0/$metadata#users/$entity'),
        ('businessPhones', []), ('displayName', u.name), ('givenName', first),
        ('jobTitle', None), ('mail', u.email), ('mobilePhone', None), ('officeLocation', None),
        ('preferredLanguage', 'en-US'), ('surname', last or None),
        ('userPrincipalName', u.email), ('id', u.id)]))


def mailbox_settings(ctx):
    return ctx.ok(200, OrderedDict([
        ('@odata.context', "https://graph.microsoft.com/v1.0/$metadata#users('%s')/"
         'mailboxSettings' % ctx.user.id), ('timeZone', ctx.user.tz),
        ('dateFormat', 'dd/MM/yyyy'), ('timeFormat', 'HH:mm')]))


# ---------------------------------------------------------------------------
def cal_resource(c):
    return OrderedDict([
        ('id', c.id), ('name', c.name), ('color', c.color), ('hexColor', ''),
        ('isDefaultCalendar', c.default), ('changeKey', c.change_key), ('canShare', True),
        ('canViewPrivateItems', True), ('canEdit', True),
        ('allowedOnlineMeetingProviders', ['teamsForBusiness']),
        ('defaultOnlineMeetingProvider', 'teamsForBusiness'), ('isTallyingResponses', True),
        ('isRemovable', not c.default),
        ('owner', OrderedDict(name=c.owner.name, address=c.owner.email))])


def page(ctx, items, render, path, context):
    """One page of a collection: $top (or Prefer odata.maxpagesize) and $skip."""
    q = ctx.req.q1
    size = ctx.maxpage or ctx.st.page_size
    if '$top' in q:
        if not q['$top'].isdigit():
            fail(400, 'BadRequest', "Invalid $top value '%s'." % q['$top'])
        size = min(int(q['$top']), 1000) or 1
    skip = q.get('$skip', '0')
    if not skip.isdigit():
        fail(400, 'BadRequest', "Invalid $skip value '%s'." % skip)
    skip = int(skip)
    out = OrderedDict([('@odata.context', 'https://graph.microsoft.com/v1.0/$metadata#' +
                        context)])
    chunk = items[skip:skip + size]
    if skip + size < len(items):
        qq = dict(ctx.req.q1)
        qq['$skip'] = str(skip + size)
        out['@odata.nextLink'] = ctx.base + path + '?' + urllib.parse.urlencode(qq, safe="$'(),:")
    out['value'] = [render(x) for x in chunk]
    return ctx.ok(200, out)


def calendars(ctx, rest):
    st, u, m = ctx.st, ctx.user, ctx.req.method
    ctxt = "users('%s')/calendars" % u.id
    if rest == ['calendars'] and m == 'GET':
        return page(ctx, list(u.calendars.values()), cal_resource, 'me/calendars', ctxt)
    if rest == ['calendars'] and m == 'POST':
        auth(st, ctx.req, 'write')
        b = body_json(ctx.req)
        name = b.get('name')
        if not isinstance(name, str) or not name.strip():
            fail(400, 'ErrorInvalidParameter', "The value of the parameter 'Name' is empty.")
        if any(c.name.lower() == name.lower() for c in u.calendars.values()):
            fail(409, 'ErrorFolderExists', 'A folder with the specified name already exists.')
        c = st.add_calendar(u, name)
        if b.get('color'):
            c.color = b['color']
        r = cal_resource(c)
        r['@odata.context'] = 'https://graph.microsoft.com/v1.0/$metadata#' + ctxt + '/$entity'
        r.move_to_end('@odata.context', last=False)
        return ctx.ok(201, r)
    c = resolve_cal(ctx, rest)
    if len(rest) == (1 if rest[0] == 'calendar' else 2):
        if m == 'GET':
            return ctx.ok(200, cal_resource(c))
        if m == 'PATCH':
            auth(st, ctx.req, 'write')
            b = body_json(ctx.req)
            if 'name' in b:
                c.name = b['name']
            if 'color' in b:
                c.color = b['color']
            c.change_key = change_key()
            return ctx.ok(200, cal_resource(c))
        if m == 'DELETE':
            auth(st, ctx.req, 'write')
            if c.default:
                fail(400, 'ErrorCannotDeleteObject', 'An object cannot be deleted.')
            for ev in c.events.values():
                st.by_id.pop(ev.rid, None)
                st.by_id.pop(ev.iid, None)
            del u.calendars[c.id]
            return ctx.ok(204, b'')
    return None


def resolve_cal(ctx, rest):
    if rest[0] == 'calendar':
        return ctx.user.default
    c = ctx.user.calendars.get(rest[1])
    if c is None:
        not_found()
    return c


def body_json(req):
    try:
        b = req.json()
    except ValueError:
        fail(400, 'BadRequest', 'Unable to read JSON request payload. Please ensure '
             'Content-Type header is set and payload is of valid JSON format.')
    if not isinstance(b, dict):
        fail(400, 'BadRequest', 'Unable to read JSON request payload.')
    return b


# ---------------------------------------------------------------------------


def api(st, req, segs):
    """Graph v1.0 request: segs after /v1.0.  None when no route matches."""
    if not segs:
        return None
    if segs[0] == 'me':
        rest = segs[1:]
    elif segs[0] == 'users' and len(segs) >= 2:
        rest = segs[2:]
    else:
        return None
    need = 'user' if not rest else 'read'
    u = auth(st, req, need)
    if segs[0] == 'users' and segs[1].lower() not in (u.id, u.email.lower()):
        if not any(segs[1].lower() == x.email.lower() or segs[1] == x.id
                   for x in st.users.values()):
            fail(404, 'ErrorInvalidUser', "The requested user '%s' is invalid." % segs[1])
        fail(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.')
    ctx = Ctx(st, req, u)
    m = req.method
    if not rest:
        return me(ctx) if m == 'GET' else None
    if rest == ['mailboxSettings'] and m == 'GET':
        return mailbox_settings(ctx)
    head = rest[0]
    view_at = None
    for i, s in enumerate(rest):
        if s == 'calendarView':
            view_at = i
    if view_at is not None:
        cal = None if view_at == 0 else resolve_cal(ctx, rest)
        return memu_view.view(ctx, cal or u.default, rest[view_at + 1:],
                              '/'.join(['me'] + rest[:view_at + 1]))
    if head == 'events' or (head == 'calendar' and len(rest) > 1 and rest[1] == 'events') or \
            (head == 'calendars' and len(rest) > 2 and rest[2] == 'events'):
        return mev.events(ctx, rest)
    if head in ('calendars', 'calendar'):
        return calendars(ctx, rest)
    return None


def no_route(req):
    return gerr(400, 'BadRequest', "Resource not found for the segment '%s'."
                % (req.segs[-1] if req.segs else ''))
