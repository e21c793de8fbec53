"""The Microsoft identity platform v2.0 endpoints of memu: authorize, token, devicecode.

From "Microsoft identity platform and OAuth 2.0 authorization code flow",
"... OAuth 2.0 device authorization grant flow", "Refresh tokens in the
Microsoft identity platform" and "Microsoft Entra authentication and
authorization error codes" (learn.microsoft.com/entra/identity-platform).
"""
import base64
import datetime as dt
import hashlib
import html
import json
import re
import secrets
import urllib.parse
import uuid
from collections import OrderedDict

from memu_core import (GRAPH, MSA_TENANT, ORG_DOMAINS, ORG_TENANT, UTC, Resp, jresp, now)

GRAPH_SCOPES = {'calendars.read', 'calendars.readwrite', 'calendars.read.shared',
                'calendars.readwrite.shared', 'user.read', 'mailboxsettings.read'}
OIDC_SCOPES = {'openid', 'profile', 'email', 'offline_access'}
GRAPH_APP = '00000003-0000-0000-c000-000000000000'
DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'
VERIFY_URI = 'https://microsoft.com/devicelogin'


class OAuthError(Exception):
    def __init__(self, status, error, code, text):
        Exception.__init__(self, text)
        self.status, self.error, self.code, self.text = status, error, code, text


def aad_body(error, code, text):
    """The token endpoint's error JSON, as the error-codes reference shows it."""
    ts = dt.datetime.fromtimestamp(now(), UTC).strftime('%Y-%m-%d %H:%M:%SZ')
    trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
    desc = 'AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s' % (
        code, text, trace, corr, ts)
    return OrderedDict([('error', error), ('error_description', desc), ('error_codes', [code]),
                        ('timestamp', ts), ('trace_id', trace), ('correlation_id', corr),
                        ('error_uri', 'https://login.microsoftonline.com/error?code=%d' % code)])


def aad(status, error, code, text):
    raise OAuthError(status, error, code, text)


def missing(name):
    aad(400, 'invalid_request', 900144,
        "The request body must contain the following parameter: '%s'." % name)


# ---------------------------------------------------------------------------
def tenant_users(st, tenant):
    """Users a tenant segment admits; OAuthError for an unknown tenant."""
    t = tenant.lower()
    if t == 'common':
        return lambda u: True
    if t == 'organizations':
        return lambda u: not u.consumer
    if t == 'consumers' or t == MSA_TENANT:
        return lambda u: u.consumer
    if t == ORG_TENANT or t in ORG_DOMAINS:
        return lambda u: u.tenant == ORG_TENANT
    if re.fullmatch(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', t):
        aad(400, 'invalid_request', 90002, "Tenant '%s' not found. Check to make sure you have "
            "the correct tenant ID and are signing into the correct cloud." % tenant)
    if re.fullmatch(r'[a-z0-9-]+(\.[a-z0-9-]+)+', t):
        aad(400, 'invalid_request', 90002, "Tenant '%s' not found. This may happen if there "
            "are no active subscriptions for the tenant." % tenant)
    aad(400, 'invalid_request', 900023, "Specified tenant identifier '%s' is neither a valid "
        "DNS name, nor a valid external domain." % tenant)


def parse_scopes(scope):
    """Normalized scope list (graph ones lowercase short names); OAuthError if unknown."""
    out = []
    for s in (scope or '').split():
        ls = s.lower()
        if ls.startswith(GRAPH):
            ls = ls[len(GRAPH):]
        if ls == '.default':
            out += ['calendars.readwrite', 'user.read']
            continue
        if ls not in GRAPH_SCOPES | OIDC_SCOPES:
            aad(400, 'invalid_scope', 70011, "The provided request must include a 'scope' "
                "input parameter. The provided value for the input parameter 'scope' is not "
                "valid. The scope '%s' does not exist." % s)
        if ls not in out:
            out.append(ls)
    return out


CANON = {'calendars.read': 'Calendars.Read', 'calendars.readwrite': 'Calendars.ReadWrite',
         'calendars.read.shared': 'Calendars.Read.Shared',
         'calendars.readwrite.shared': 'Calendars.ReadWrite.Shared',
         'user.read': 'User.Read', 'mailboxsettings.read': 'MailboxSettings.Read'}


def scope_string(scopes):
    """The token response's scope: Graph's scopes as URLs, then the OIDC ones."""
    g = [GRAPH + CANON[s] for s in scopes if s in CANON]
    o = [s for s in scopes if s in ('openid', 'profile', 'email')]
    return ' '.join(g + o)


def check_client(st, form, at_token=True):
    cid = form.get('client_id')
    if not cid:
        missing('client_id')
    c = st.clients.get(cid)
    if not c:
        aad(400, 'unauthorized_client', 700016, "Application with identifier '%s' was not "
            "found in the directory 'Contoso'. This can happen if the application has not "
            "been installed by the administrator of the tenant or consented to by any user "
            "in the tenant. You may have sent your authentication request to the wrong "
            "tenant." % cid)
    if at_token:
        sec = form.get('client_secret')
        st.secret(sec)
        if c['secret'] is None and sec:
            aad(401, 'invalid_client', 700025, "Client is public so neither "
                "'client_assertion' nor 'client_secret' should be presented.")
        if c['secret'] is not None and not sec:
            aad(401, 'invalid_client', 7000218, "The request body must contain the following "
                "parameter: 'client_assertion' or 'client_secret'.")
        if c['secret'] is not None and sec != c['secret']:
            aad(401, 'invalid_client', 7000215, "Invalid client secret provided. Ensure the "
                "secret being sent in the request is the client secret value, not the client "
                "secret ID, for a secret added to app '%s'." % cid)
    return c


def redirect_ok(c, uri):
    if c['redirect_uris']:
        return uri in c['redirect_uris']
    if uri == 'https://login.microsoftonline.com/common/oauth2/nativeclient':
        return True
    u = urllib.parse.urlsplit(uri)
    # loopback: "any port" for http://localhost and 127.0.0.1 (redirect URI
    # restrictions: "the port component is ignored for loopback")
    return u.scheme == 'http' and u.hostname in ('localhost', '127.0.0.1', '::1')


def html_error(status, code, text):
    page = ('<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body>'
            '<div id="error">AADSTS%d: %s</div></body></html>\n' % (code, html.escape(text)))
    return Resp(status, page, ctype='text/html; charset=utf-8')


def redirect(uri, params):
    sep = '&' if '?' in uri else '?'
    return Resp(302, b'', ctype=None,
                headers=[('Location', uri + sep + urllib.parse.urlencode(params))])


# ---------------------------------------------------------------------------
def authorize(st, req, tenant):
    q = req.q1
    try:
        admits = tenant_users(st, tenant)
        c = check_client(st, q, at_token=False)
    except OAuthError as e:
        return html_error(400, e.code, e.text)
    uri = q.get('redirect_uri', '')
    if not redirect_ok(c, uri):
        return html_error(400, 50011, "The redirect URI '%s' specified in the request does not "
                          "match the redirect URIs configured for the application '%s'."
                          % (uri, c['client_id']))
    state = q.get('state')

    def back(error, code, text, sub=None):
        p = OrderedDict(error=error)
        if sub:
            p['error_subcode'] = sub
        p['error_description'] = 'AADSTS%d: %s' % (code, text)
        if state is not None:
            p['state'] = state
        return redirect(uri, p)
    if q.get('response_type') != 'code':
        return back('unsupported_response_type', 700054, "response_type '%s' is not enabled "
                    "for the application." % q.get('response_type', ''))
    try:
        scopes = parse_scopes(q.get('scope'))
    except OAuthError as e:
        return back(e.error, e.code, e.text)
    if not scopes:
        return back('invalid_request', 900144, "The request body must contain the following "
                    "parameter: 'scope'.")
    chal, meth = q.get('code_challenge'), q.get('code_challenge_method', 'plain')
    if chal is None and st.require_pkce:
        return back('invalid_request', 9002325, 'Proof Key for Code Exchange is required for '
                    'cross-origin authorization code redemption.')
    if chal is not None and (meth not in ('S256', 'plain') or
                             not re.fullmatch(r'[A-Za-z0-9._~-]{43,128}', chal)):
        return back('invalid_request', 501491, "Invalid size of Code_Challenge parameter."
                    if meth in ('S256', 'plain') else
                    "Invalid code_challenge_method '%s'." % meth)
    if st.consent == 'deny':
        return back('access_denied', 65004, 'User declined to consent to access the app.',
                    'cancel')
    email = q.get('login_hint') or st.consent_user
    u = st.users.get(email)
    if u is None or not admits(u):
        return back('invalid_request', 50020, "User account '%s' from identity provider does "
                    "not exist in tenant '%s' and cannot access the application '%s'."
                    % (email, tenant, c['client_id']))
    code = '1.A' + secrets.token_urlsafe(120) + st.secret_marker
    st.secret(code)
    st.codes[code] = {'user': u.email, 'client_id': c['client_id'], 'redirect_uri': uri,
                      'scopes': scopes, 'challenge': chal, 'method': meth,
                      'exp': now() + st.code_lifetime, 'used': False, 'tenant': tenant}
    p = OrderedDict(code=code)
    if state is not None:
        p['state'] = state
    return redirect(uri, p)


# ---------------------------------------------------------------------------
def mint(st, user, client_id, scopes, with_refresh=None, family=None):
    """A token response for user; a refresh token when offline_access was granted."""
    u = st.users[user]
    exp = now() + st.token_lifetime
    head = base64.urlsafe_b64encode(b'{"typ":"JWT","alg":"RS256"}').rstrip(b'=').decode()
    claims = json.dumps({'aud': GRAPH_APP, 'tid': u.tenant, 'oid': u.id, 'upn': u.email,
                         'scp': ' '.join(CANON[s] for s in scopes if s in CANON),
                         'appid': client_id, 'exp': int(exp), 'n': secrets.token_hex(8)})
    body = base64.urlsafe_b64encode(claims.encode()).rstrip(b'=').decode()
    tok = head + '.' + body + '.' + secrets.token_urlsafe(64) + st.secret_marker
    st.secret(tok)
    st.access[tok] = {'user': user, 'client_id': client_id, 'scopes': scopes, 'exp': exp}
    r = OrderedDict(token_type='Bearer', scope=scope_string(scopes),
                    expires_in=st.token_lifetime, ext_expires_in=st.token_lifetime,
                    access_token=tok)
    if 'offline_access' in scopes if with_refresh is None else with_refresh:
        rt = '0.A' + secrets.token_urlsafe(180) + st.secret_marker
        st.secret(rt)
        fam = family or secrets.token_hex(8)
        st.refresh[rt] = {'user': user, 'client_id': client_id, 'scopes': scopes,
                          'state': 'valid', 'family': fam}
        r['refresh_token'] = rt
    if 'openid' in scopes:
        idt = {'aud': client_id, 'iss': 'https://login.microsoftonline.com/%s/v2.0' % u.tenant,
               'tid': u.tenant, 'oid': u.id, 'sub': u.id, 'name': u.name,
               'preferred_username': u.email, 'ver': '2.0', 'exp': int(exp)}
        if 'email' in scopes:
            idt['email'] = u.email
        r['id_token'] = head + '.' + base64.urlsafe_b64encode(
            json.dumps(idt).encode()).rstrip(b'=').decode() + '.' + secrets.token_urlsafe(32)
    return r


def form(req):
    """The form of a token or devicecode POST.  The identity platform reads
    application/x-www-form-urlencoded only: a JSON body carries nothing."""
    ct = (req.headers.get('Content-Type') or '').lower()
    if 'json' in ct or 'multipart' in ct:
        return {}
    return {k: v[-1] for k, v in urllib.parse.parse_qs(
        req.body.decode('utf-8', 'replace'), keep_blank_values=True).items()}


def not_post(req):
    return jresp(400, aad_body('invalid_request', 900561, "The endpoint only accepts POST, "
                               "OPTIONS requests. Received a %s request." % req.method))


def token(st, req, tenant):
    f = form(req)
    try:
        admits = tenant_users(st, tenant)
        gt = f.get('grant_type')
        if not gt:
            missing('grant_type')
        if gt not in ('authorization_code', 'refresh_token', DEVICE_GRANT):
            aad(400, 'unsupported_grant_type', 70003, "The app requested an unsupported grant "
                "type '%s'." % gt)
        c = check_client(st, f)
        if gt == 'authorization_code':
            r = code_grant(st, f, c)
        elif gt == 'refresh_token':
            r = refresh_grant(st, f, c)
        else:
            r = device_grant(st, f, c)
        if not admits(st.users[r[0]]):
            aad(400, 'invalid_grant', 50020, "User account '%s' from identity provider does "
                "not exist in tenant '%s'." % (r[0], tenant))
        return jresp(200, r[1], headers=[('Cache-Control', 'no-store, no-cache'),
                                         ('Pragma', 'no-cache')])
    except OAuthError as e:
        return jresp(e.status, aad_body(e.error, e.code, e.text))


# AADSTS9002313 InvalidRequest, AADSTS54005 OAuth2 authorization code
# already redeemed (Microsoft Entra error-codes reference)
MALFORMED = ('invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.')
REDEEMED = ('invalid_grant', 54005, 'OAuth2 Authorization code was already redeemed, '
            'please retry with a new valid code or use an existing refresh token.')


def grant_of(st, f, c, field, table, unknown=MALFORMED):
    """The grant the form's FIELD (required, a secret) names in table, for
    client c; an AADSTS error (unknown) when there is none for c."""
    v = f.get(field)
    if not v:
        missing(field)
    st.secret(v)
    g = table.get(v)
    if g is None or g['client_id'] != c['client_id']:
        aad(400, *unknown)
    return g


def code_grant(st, f, c):
    g = grant_of(st, f, c, 'code', st.codes)
    ver = f.get('code_verifier')
    st.secret(ver)
    if g['used']:
        aad(400, *REDEEMED)
    if now() > g['exp']:
        aad(400, 'invalid_grant', 70008, 'The provided authorization code or refresh token has '
            'expired due to inactivity. Send a new interactive authorization request for this '
            'user and resource.')
    if f.get('redirect_uri') != g['redirect_uri']:
        aad(400, 'invalid_grant', 50011, "The redirect URI '%s' specified in the request does "
            "not match the redirect URI used to obtain the authorization code."
            % f.get('redirect_uri', ''))
    if g['challenge'] is not None:
        if not ver:
            missing('code_verifier')
        if g['method'] == 'S256':
            calc = base64.urlsafe_b64encode(hashlib.sha256(ver.encode()).digest()) \
                .rstrip(b'=').decode()
        else:
            calc = ver
        if calc != g['challenge']:
            aad(400, 'invalid_grant', 501481, 'The Code_Verifier does not match the '
                'code_challenge supplied in the authorization request.')
    g['used'] = True
    return g['user'], mint(st, g['user'], c['client_id'], g['scopes'])


def refresh_grant(st, f, c):
    g = grant_of(st, f, c, 'refresh_token', st.refresh)
    if g['state'] == 'revoked':
        aad(400, 'invalid_grant', 50173, 'The provided grant has expired due to it being '
            'revoked, a fresh auth token is needed. The user might have changed or reset '
            'their password.')
    if g['state'] == 'inactive':
        # "Microsoft identity platform error codes": ExpiredOrRevokedGrantInactiveToken
        aad(400, 'invalid_grant', 700082, 'The refresh token has expired due to inactivity. '
            'The token was issued on %s and was inactive for 90.00:00:00.'
            % dt.datetime.fromtimestamp(now() - 90 * 86400, UTC).strftime('%Y-%m-%dT%H:%M:%S.0000000Z'))
    if g['state'] in ('expired', 'rotated'):
        aad(400, 'invalid_grant', 70008, 'The provided authorization code or refresh token has '
            'expired due to inactivity. Send a new interactive authorization request for this '
            'user and resource.')
    scopes = g['scopes']
    if f.get('scope'):
        want = parse_scopes(f['scope'])
        extra = [s for s in want if s not in scopes and s not in OIDC_SCOPES]
        if extra:
            aad(400, 'invalid_grant', 65001, "The user or administrator has not consented to "
                "use the application with ID '%s'. Send an interactive authorization request "
                "for this user and resource." % c['client_id'])
        scopes = [s for s in scopes if s in want or s == 'offline_access']
    # "Refresh tokens replace themselves with a fresh token upon every use";
    # they "aren't revoked when used to acquire new access tokens" unless
    # configured (old_refresh_valid false) to model a stricter server
    if not st.old_refresh_valid:
        g['state'] = 'rotated'
    return g['user'], mint(st, g['user'], c['client_id'], scopes, with_refresh=True,
                           family=g['family'])


# ---------------------------------------------------------------------------
def devicecode(st, req, tenant):
    f = form(req)
    try:
        tenant_users(st, tenant)
        c = check_client(st, f, at_token=False)
        scopes = parse_scopes(f.get('scope'))
        if not scopes:
            missing('scope')
    except OAuthError as e:
        return jresp(e.status, aad_body(e.error, e.code, e.text))
    dc = 'DAQABAAEAAA' + secrets.token_urlsafe(150) + st.secret_marker
    uc = ''.join(secrets.choice('ABCDEFGHJKLMNPQRSTUVWXYZ23456789') for _ in range(9))
    st.secret(dc)
    st.devices[dc] = {'user_code': uc, 'client_id': c['client_id'], 'scopes': scopes,
                      'exp': now() + st.device_expires, 'state': 'pending', 'user': None,
                      'last': None, 'tenant': tenant}
    return jresp(200, OrderedDict([
        ('user_code', uc), ('device_code', dc), ('verification_uri', VERIFY_URI),
        ('expires_in', st.device_expires), ('interval', st.device_interval),
        ('message', 'To sign in, use a web browser to open the page %s and enter the code %s '
         'to authenticate.' % (VERIFY_URI, uc))]))


def device_grant(st, f, c):
    # error-codes reference: "AADSTS70018 BadVerificationCode - Invalid
    # verification code ... for device code flow"
    d = grant_of(st, f, c, 'device_code', st.devices,
                 ('bad_verification_code', 70018, "The provided value for the input "
                  "parameter 'device_code' is not valid."))
    t = now()
    last, d['last'] = d['last'], t
    if d['state'] == 'done':
        aad(400, *REDEEMED)
    if t > d['exp']:
        # "AADSTS70019 CodeExpired - Verification code expired"
        aad(400, 'expired_token', 70019, 'Verification code expired. The provided value for '
            "the input parameter 'device_code' is not valid. This device code has expired.")
    if d['state'] == 'declined':
        aad(400, 'authorization_declined', 70000, 'The user has declined to authorize the '
            'request.')
    if last is not None and st.device_interval and t - last < st.device_interval:
        # RFC 8628 3.5: polled sooner than the interval
        aad(400, 'slow_down', 70016, 'OAuth 2.0 device flow error. Polling too fast: slow '
            'down to the interval the device code answer gave.')
    if d['state'] == 'pending':
        aad(400, 'authorization_pending', 70016, 'OAuth 2.0 device flow error. '
            'Authorization is pending. Continue polling.')
    d['state'] = 'done'
    return d['user'], mint(st, d['user'], c['client_id'], d['scopes'])


def device_decide(st, body, approve):
    """Control: the user enters user_code at the verification page (approve or decline)."""
    for d in st.devices.values():
        if d['user_code'] == body['user_code'] and d['state'] == 'pending':
            if approve:
                u = body.get('user') or st.consent_user
                if u not in st.users:
                    raise KeyError(u)
                d['user'] = u
                d['state'] = 'approved'
            else:
                d['state'] = 'declined'
            return True
    return False


def request_secret(req):
    a = req.headers.get('Authorization') or ''
    if a.lower().startswith('bearer '):
        return a[7:]
    f = form(req)
    for k in ('refresh_token', 'code', 'device_code', 'client_secret'):
        if f.get(k):
            return f[k]
    return ''
