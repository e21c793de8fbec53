"""OAuth 2.0 endpoints of the emulator.

Behaviour follows:
 - "OAuth 2.0 for Mobile & Desktop Apps" (loopback redirect, PKCE, access_type,
   error pages): https://developers.google.com/identity/protocols/oauth2/native-app
 - "Using OAuth 2.0 for Server to Server Applications" (JWT bearer, domain-wide
   delegation): https://developers.google.com/identity/protocols/oauth2/service-account
 - token revocation: POST https://oauth2.googleapis.com/revoke (same pages)
Error descriptions are the strings Google's token endpoint is widely seen to
return (e.g. "Token has been expired or revoked.", "Invalid JWT Signature.").
"""
import base64
import hashlib
import html
import json
import re
import secrets
import urllib.parse
from collections import OrderedDict

from emu_core import (KNOWN_SCOPES, SHORT_SCOPES, SCOPE_PREFIX, Resp, jresp, now, b64u, b64u_dec,
                      gerr)

CODE_TTL = 600
TOKEN_AUDS = ('https://oauth2.googleapis.com/token', 'https://accounts.google.com/o/oauth2/token',
              'https://www.googleapis.com/oauth2/v4/token')


def oerr(status, error, desc=None):
    body = OrderedDict(error=error)
    if desc is not None:
        body['error_description'] = desc
    return jresp(status, body)


def error_page(status, error, detail):
    # Google shows an HTML page ("Access blocked: ... Error 400: redirect_uri_mismatch")
    # instead of redirecting when the client or redirect URI cannot be trusted.
    body = ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '<title>Error %d (%s)</title></head><body><h1>Access blocked: '
            'Authorization Error</h1><p>%s</p><p>Error %d: %s</p></body></html>\n'
            % (status, html.escape(error), html.escape(detail), status, html.escape(error)))
    return Resp(status, body, ctype='text/html; charset=utf-8')


def normalize_scopes(raw):
    out = []
    for s in raw.split():
        s = SHORT_SCOPES.get(s, s)
        if s not in out:
            out.append(s)
    return out


def loopback_ok(uri):
    try:
        u = urllib.parse.urlsplit(uri)
    except ValueError:
        return False
    if u.scheme != 'http' or u.username or u.password or u.fragment:
        return False
    host = u.hostname or ''
    try:
        u.port
    except ValueError:
        return False
    return host in ('127.0.0.1', '::1', 'localhost')


def redirect(uri, params):
    sep = '&' if urllib.parse.urlsplit(uri).query else '?'
    loc = uri + sep + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
    return Resp(302, '<HTML><HEAD><TITLE>Moved Temporarily</TITLE></HEAD><BODY>'
                'Moved Temporarily</BODY></HTML>\n', ctype='text/html; charset=UTF-8',
                headers=[('Location', loc)])


# ---------------------------------------------------------------------------
def authorize(st, req):
    q = req.q1
    cid = q.get('client_id')
    if not cid:
        return error_page(400, 'invalid_request', 'Missing required parameter: client_id')
    client = st.clients.get(cid)
    if not client:
        return error_page(401, 'invalid_client', 'The OAuth client was not found.')
    ruri = q.get('redirect_uri')
    if not ruri:
        return error_page(400, 'invalid_request', 'Missing required parameter: redirect_uri')
    if client['type'] == 'installed' and not loopback_ok(ruri) and ruri not in (
            'urn:ietf:wg:oauth:2.0:oob',):
        return error_page(400, 'redirect_uri_mismatch',
                          "You can't sign in to this app because it doesn't comply with "
                          "Google's OAuth 2.0 policy. redirect_uri=" + ruri)
    rtype = q.get('response_type')
    if not rtype:
        return error_page(400, 'invalid_request', 'Required parameter is missing: response_type')
    if rtype != 'code':
        return error_page(400, 'unsupported_response_type',
                          'Invalid response_type: ' + rtype)
    if not q.get('scope', '').strip():
        return error_page(400, 'invalid_request', 'Missing required parameter: scope')
    scopes = normalize_scopes(q['scope'])
    bad = [s for s in scopes if s not in KNOWN_SCOPES]
    if bad:
        good = [s for s in scopes if s in KNOWN_SCOPES]
        return error_page(400, 'invalid_scope', 'Some requested scopes were invalid. {valid=[%s], '
                          'invalid=[%s]}' % (', '.join(good), ', '.join(bad)))
    chal = q.get('code_challenge')
    meth = q.get('code_challenge_method')
    if meth and not chal:
        return error_page(400, 'invalid_request', 'Missing code_challenge.')
    if chal:
        meth = meth or 'plain'
        if meth not in ('S256', 'plain'):
            return error_page(400, 'invalid_request', 'Invalid code_challenge_method.')
        if not re.fullmatch(r'[A-Za-z0-9._~-]{43,128}', chal):
            return error_page(400, 'invalid_request', 'Invalid code_challenge.')
    state = q.get('state')
    if st.consent == 'deny':
        p = OrderedDict(error='access_denied')
        if state is not None:
            p['state'] = state
        return redirect(ruri, p)
    hint = q.get('login_hint')
    user = hint if hint in st.users else st.consent_user
    if user not in st.users:
        user = next(iter(st.users))
    code = '4/0' + st.secret_marker + secrets.token_urlsafe(54)
    st.codes[code] = {'client_id': cid, 'redirect_uri': ruri, 'scopes': scopes, 'user': user,
                      'challenge': chal, 'method': meth, 'exp': now() + CODE_TTL,
                      'offline': q.get('access_type') == 'offline', 'nonce': q.get('nonce')}
    st.secret(code)
    p = OrderedDict()
    if state is not None:
        p['state'] = state
    p['code'] = code
    p['scope'] = ' '.join(scopes)
    p['authuser'] = '0'
    p['prompt'] = 'consent'
    return redirect(ruri, p)


def client_auth(st, req, form):
    """client_id/secret from the form or HTTP Basic; returns (client, error_resp)."""
    cid, sec = form.get('client_id'), form.get('client_secret')
    auth = req.headers.get('Authorization', '')
    if auth.lower().startswith('basic '):
        try:
            u, _, p = base64.b64decode(auth[6:].strip()).decode().partition(':')
            cid, sec = urllib.parse.unquote(u), urllib.parse.unquote(p)
        except (ValueError, UnicodeDecodeError):
            return None, oerr(401, 'invalid_client', 'Unauthorized')
    if not cid:
        return None, oerr(400, 'invalid_request', 'Could not determine client ID from request.')
    c = st.clients.get(cid)
    if not c:
        return None, oerr(401, 'invalid_client', 'The OAuth client was not found.')
    if sec is not None:
        st.secret(sec)
    if sec != c['client_secret']:
        return None, oerr(401, 'invalid_client', 'Unauthorized')
    return c, None


def issue_access(st, user, client_id, scopes, grant_key, kind='oauth', refresh=None):
    tok = 'ya29.' + st.secret_marker + secrets.token_urlsafe(120)
    st.access[tok] = {'user': user, 'client_id': client_id, 'scopes': list(scopes),
                      'exp': now() + st.token_lifetime, 'grant': grant_key, 'revoked': False,
                      'kind': kind, 'refresh': refresh, 'issued': now()}
    st.secret(tok)
    return tok


def id_token(st, client_id, user, nonce=None, scopes=()):
    # Looks like Google's RS256 ID token but the signature is random bytes: the
    # emulator publishes no JWKS, so clients must not verify it (documented).
    u = st.users.get(user, {'sub': user, 'email': user})
    hdr = {'alg': 'RS256', 'kid': 'gemu-not-a-real-key', 'typ': 'JWT'}
    t = int(now())
    pl = OrderedDict(iss='https://accounts.google.com', azp=client_id, aud=client_id, sub=u['sub'])
    if SCOPE_PREFIX + 'userinfo.email' in scopes:
        pl['email'] = u['email']
        pl['email_verified'] = True
    if nonce:
        pl['nonce'] = nonce
    pl['iat'] = t
    pl['exp'] = t + 3600
    tok = '.'.join([b64u(json.dumps(hdr).encode()), b64u(json.dumps(pl).encode()),
                    b64u(secrets.token_bytes(256))])
    st.secret(tok)
    return tok


def token(st, req):
    form = req.form()
    gt = form.get('grant_type')
    if gt == 'urn:ietf:params:oauth:grant-type:jwt-bearer':
        return jwt_bearer(st, form)
    if gt not in ('authorization_code', 'refresh_token'):
        return oerr(400, 'unsupported_grant_type', 'Invalid grant_type: ' + (gt or ''))
    client, e = client_auth(st, req, form)
    if e:
        return e
    if gt == 'authorization_code':
        code = form.get('code', '')
        st.secret(code)
        if not code:
            return oerr(400, 'invalid_request', 'Missing required parameter: code')
        if not code.startswith('4/'):
            return oerr(400, 'invalid_grant', 'Malformed auth code.')
        c = st.codes.get(code)
        if not c or c.get('used') or c['exp'] < now() or c['client_id'] != client['client_id']:
            return oerr(400, 'invalid_grant', 'Bad Request')
        if form.get('redirect_uri') != c['redirect_uri']:
            return oerr(400, 'redirect_uri_mismatch', 'Bad Request')
        ver = form.get('code_verifier')
        if ver:
            st.secret(ver)
        if c['challenge']:
            if not ver:
                return oerr(400, 'invalid_grant', 'Missing code verifier.')
            calc = ver if c['method'] == 'plain' else b64u(hashlib.sha256(ver.encode()).digest())
            if calc != c['challenge']:
                return oerr(400, 'invalid_grant', 'Invalid code verifier.')
        c['used'] = True
        gkey = ('oauth', c['user'], client['client_id'])
        g = st.grants.get(gkey)
        if not g or g['revoked']:
            g = {'user': c['user'], 'client_id': client['client_id'], 'scopes': [],
                 'revoked': False, 'kind': 'oauth'}
            st.grants[gkey] = g
        for s in c['scopes']:
            if s not in g['scopes']:
                g['scopes'].append(s)
        c['grant'] = gkey
        out = OrderedDict()
        at = issue_access(st, c['user'], client['client_id'], c['scopes'], gkey)
        out['access_token'] = at
        out['expires_in'] = st.token_lifetime
        if c['offline']:
            rt = '1//0' + st.secret_marker + secrets.token_urlsafe(75)
            st.refresh[rt] = {'grant': gkey, 'scopes': list(c['scopes']), 'revoked': False,
                              'user': c['user'], 'client_id': client['client_id']}
            st.access[at]['refresh'] = rt
            st.secret(rt)
            out['refresh_token'] = rt
        out['scope'] = ' '.join(c['scopes'])
        out['token_type'] = 'Bearer'
        if 'openid' in c['scopes'] and st.id_tokens:
            out['id_token'] = id_token(st, client['client_id'], c['user'], c['nonce'], c['scopes'])
        return jresp(200, out)
    # refresh_token
    rt = form.get('refresh_token', '')
    st.secret(rt)
    if not rt:
        return oerr(400, 'invalid_request', 'Missing required parameter: refresh_token')
    r = st.refresh.get(rt)
    if not r or r['revoked'] or r['client_id'] != client['client_id'] or \
            st.grants.get(r['grant'], {}).get('revoked', True):
        return oerr(400, 'invalid_grant', 'Token has been expired or revoked.')
    scopes = r['scopes']
    if form.get('scope'):
        want = normalize_scopes(form['scope'])
        if any(s not in scopes for s in want):
            return oerr(400, 'invalid_scope', 'Bad Request')
        scopes = want
    at = issue_access(st, r['user'], r['client_id'], scopes, r['grant'], refresh=rt)
    out = OrderedDict(access_token=at, expires_in=st.token_lifetime, scope=' '.join(scopes),
                      token_type='Bearer')
    if 'openid' in scopes and st.id_tokens:
        out['id_token'] = id_token(st, r['client_id'], r['user'], None, scopes)
    return jresp(200, out)


# ---------------------------------------------------------------------------
# RS256 verification with a tiny DER reader (no third-party crypto available).
def _der(buf, i):
    tag = buf[i]
    ln = buf[i + 1]
    i += 2
    if ln & 0x80:
        n = ln & 0x7f
        ln = int.from_bytes(buf[i:i + n], 'big')
        i += n
    return tag, buf[i:i + ln], i + ln


def _seq_items(content):
    items, i = [], 0
    while i < len(content):
        tag, val, i = _der(content, i)
        items.append((tag, val))
    return items


def rsa_public_from_pem(pem):
    """(n, e) from a PKCS#8 or PKCS#1 RSA private key PEM."""
    m = re.search(r'-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----', pem, re.S)
    if not m:
        raise ValueError('no PEM block')
    der = base64.b64decode(''.join(m.group(2).split()))
    tag, content, _ = _der(der, 0)
    items = _seq_items(content)
    if m.group(1) == 'PRIVATE KEY':            # PKCS#8: version, algId, OCTET STRING
        octet = [v for t, v in items if t == 0x04][0]
        tag, content, _ = _der(octet, 0)
        items = _seq_items(content)
    ints = [int.from_bytes(v, 'big') for t, v in items if t == 0x02]
    return ints[1], ints[2]                   # version, n, e, d, ...


SHA256_PREFIX = bytes.fromhex('3031300d060960864801650304020105000420')


def rs256_verify(n, e, signing_input, sig):
    k = (n.bit_length() + 7) // 8
    if len(sig) != k:
        return False
    m = pow(int.from_bytes(sig, 'big'), e, n).to_bytes(k, 'big')
    t = SHA256_PREFIX + hashlib.sha256(signing_input).digest()
    expect = b'\x00\x01' + b'\xff' * (k - len(t) - 3) + b'\x00' + t
    return secrets.compare_digest(m, expect)


def register_sa(st, key, delegation=True):
    if key.get('type') != 'service_account' or not key.get('client_email') or \
            not key.get('private_key'):
        raise ValueError('need type service_account, client_email, private_key')
    n, e = rsa_public_from_pem(key['private_key'])
    st.sas[key['client_email']] = {'key': key, 'n': n, 'e': e, 'delegation': bool(delegation)}
    st.secret(key['private_key'])


def jwt_bearer(st, form):
    a = form.get('assertion')
    if not a:
        return oerr(400, 'invalid_request', 'Missing required parameter: assertion')
    st.secret(a)
    parts = a.split('.')
    try:
        if len(parts) != 3:
            raise ValueError
        hdr = json.loads(b64u_dec(parts[0]))
        claims = json.loads(b64u_dec(parts[1]))
        sig = b64u_dec(parts[2])
    except (ValueError, UnicodeDecodeError):
        return oerr(400, 'invalid_grant', 'Invalid JWT: Unable to parse the JWT.')
    if hdr.get('alg') != 'RS256':
        return oerr(400, 'invalid_grant', 'Invalid JWT Signature.')
    sa = st.sas.get(claims.get('iss'))
    if not sa:
        return oerr(400, 'invalid_grant', 'Invalid grant: account not found')
    if not rs256_verify(sa['n'], sa['e'], (parts[0] + '.' + parts[1]).encode(), sig):
        return oerr(400, 'invalid_grant', 'Invalid JWT Signature.')
    t = now()
    iat, exp = claims.get('iat'), claims.get('exp')
    if not isinstance(iat, (int, float)) or not isinstance(exp, (int, float)) or \
            exp - iat > 3600 or exp <= iat or exp < t - 30 or iat > t + 300:
        return oerr(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 '
                    'minutes) and in a reasonable timeframe. Check your iat and exp values in the '
                    'JWT claim.')
    aud = claims.get('aud')
    if aud not in TOKEN_AUDS and not (isinstance(aud, str) and aud.endswith('/token') and
                                      aud.startswith('http://127.0.0.1')):
        return oerr(400, 'invalid_grant', 'Invalid JWT: Failed audience check. The expected value '
                    'was https://oauth2.googleapis.com/token.')
    scopes = normalize_scopes(claims.get('scope') or '')
    if not scopes or any(s not in KNOWN_SCOPES for s in scopes):
        return oerr(400, 'invalid_scope', 'Invalid OAuth scope or ID token audience provided.')
    sub = claims.get('sub')
    if sub:
        if not sa['delegation']:
            return oerr(401, 'unauthorized_client', 'Client is unauthorized to retrieve access '
                        'tokens using this method, or client not authorized for any of the scopes '
                        'requested.')
        if sub not in st.users:
            return oerr(400, 'invalid_grant', 'Invalid email or User ID')
        user = sub
    else:
        user = claims['iss']
        st.add_user(user, 'UTC', 'Service Account')
    gkey = ('service_account', user, claims['iss'])
    g = st.grants.get(gkey)
    if not g or g['revoked']:
        g = {'user': user, 'client_id': claims['iss'], 'scopes': [], 'revoked': False,
             'kind': 'service_account'}
        st.grants[gkey] = g
    for s in scopes:
        if s not in g['scopes']:
            g['scopes'].append(s)
    at = issue_access(st, user, claims['iss'], scopes, gkey, kind='service_account')
    st.access[at]['sa'] = claims['iss']
    return jresp(200, OrderedDict(access_token=at, expires_in=st.token_lifetime,
                                  token_type='Bearer'))


# ---------------------------------------------------------------------------
def revoke_grant(st, gkey):
    if not gkey:
        return
    g = st.grants.get(gkey)
    if g:
        g['revoked'] = True
    for r in st.refresh.values():
        if r['grant'] == gkey:
            r['revoked'] = True
    for a in st.access.values():
        if a['grant'] == gkey:
            a['revoked'] = True


def revoke(st, req):
    tok = req.form().get('token') or req.q1.get('token')
    if tok:
        st.secret(tok)
    a = st.access.get(tok)
    r = st.refresh.get(tok)
    if r and not r['revoked']:
        # "If the token is an access token and it has a corresponding refresh token,
        # the refresh token will also be revoked" - the whole grant goes.
        revoke_grant(st, r['grant'])
        return Resp(200, b'', ctype=None)
    if a and not a['revoked'] and a['exp'] > now():
        if a['kind'] == 'oauth':
            revoke_grant(st, a['grant'])
        else:
            a['revoked'] = True
        return Resp(200, b'', ctype=None)
    return oerr(400, 'invalid_token', 'Token expired or revoked')


def request_secret(req):
    """The secret a request carries (bearer token, else a form's token,
    refresh token, code, assertion or client secret), for faults whose
    message echoes it."""
    b = bearer(req)
    if b:
        return b
    try:
        form = req.form()
    except Exception:  # not a form
        form = {}
    for k in ('token', 'refresh_token', 'code', 'assertion', 'client_secret'):
        if form.get(k):
            return form[k]
    return ''


def bearer(req):
    auth = req.headers.get('Authorization', '')
    if auth[:7].lower() == 'bearer ':
        return auth[7:].strip()
    return req.q1.get('access_token') or req.q1.get('oauth_token')


def lookup_access(st, tok):
    a = st.access.get(tok) if tok else None
    if not a or a['revoked'] or a['exp'] <= now():
        return None
    g = st.grants.get(a['grant'])
    if g and g['revoked']:
        return None
    return a


def userinfo(st, req):
    a = lookup_access(st, bearer(req))
    if not a:
        return jresp(401, OrderedDict(error='invalid_request',
                                      error_description='Invalid Credentials'),
                     headers=[('WWW-Authenticate', 'Bearer realm="https://accounts.google.com/", '
                               'error="invalid_token"')])
    u = st.users.get(a['user'], {'sub': a['user'], 'email': a['user'], 'name': a['user']})
    out = OrderedDict(sub=u['sub'])
    if SCOPE_PREFIX + 'userinfo.profile' in a['scopes']:
        out['name'] = u['name']
        out['given_name'] = u['name'].split()[0]
        out['picture'] = 'https://lh3.googleusercontent.com/a/default-user=s96-c'
    if SCOPE_PREFIX + 'userinfo.email' in a['scopes']:
        out['email'] = u['email']
        out['email_verified'] = True
    return jresp(200, out)


def tokeninfo(st, req):
    tok = req.q1.get('access_token') or req.form().get('access_token')
    a = lookup_access(st, tok)
    if not a:
        return oerr(400, 'invalid_token', 'Invalid Value')
    u = st.users.get(a['user'], {'sub': a['user'], 'email': a['user']})
    out = OrderedDict(azp=a['client_id'], aud=a['client_id'])
    if 'openid' in a['scopes'] or SCOPE_PREFIX + 'userinfo.email' in a['scopes'] or \
            SCOPE_PREFIX + 'userinfo.profile' in a['scopes']:
        out['sub'] = u['sub']
    out['scope'] = ' '.join(a['scopes'])
    out['exp'] = str(int(a['exp']))
    out['expires_in'] = str(max(0, int(a['exp'] - now())))
    if SCOPE_PREFIX + 'userinfo.email' in a['scopes']:
        out['email'] = u['email']
        out['email_verified'] = 'true'
    out['access_type'] = 'offline' if a.get('refresh') else 'online'
    return jresp(200, out)


def device_code(st, req):
    # The device flow does not allow Calendar scopes and needs a "TVs and Limited
    # Input devices" client: https://developers.google.com/identity/protocols/oauth2/limited-input-device
    form = req.form()
    c = st.clients.get(form.get('client_id', ''))
    if not c:
        return oerr(401, 'invalid_client', 'The OAuth client was not found.')
    if c['type'] != 'tv':
        return oerr(401, 'invalid_client', 'Invalid client type.')
    return oerr(400, 'invalid_scope', 'Invalid device flow scope: ' + form.get('scope', ''))


def auth_error_401():
    # "Handle API errors", 401: Invalid Credentials
    return gerr(401, 'authError', 'Invalid Credentials', location='Authorization',
                location_type='header', status='UNAUTHENTICATED',
                headers=[('WWW-Authenticate', 'Bearer realm="https://accounts.google.com/", '
                          'error="invalid_token"')])


def login_required_401():
    return gerr(401, 'required', 'Login Required.', location='Authorization',
                location_type='header', status='UNAUTHENTICATED',
                headers=[('WWW-Authenticate', 'Bearer realm="https://accounts.google.com/"')])


def insufficient_scope_403(method, needed):
    r = gerr(403, 'insufficientPermissions', 'Insufficient Permission', status='PERMISSION_DENIED',
             details=[OrderedDict([('@type', 'type.googleapis.com/google.rpc.ErrorInfo'),
                                   ('reason', 'ACCESS_TOKEN_SCOPE_INSUFFICIENT'),
                                   ('domain', 'googleapis.com'),
                                   ('metadata', {'service': 'calendar-json.googleapis.com',
                                                 'method': method})])],
             headers=[('WWW-Authenticate', 'Bearer realm="https://accounts.google.com/", '
                       'error="insufficient_scope", scope="%s"' % ' '.join(needed))])
    # top-level message differs from the per-error one (as Google sends it)
    body = json.loads(r.body)
    body['error']['message'] = 'Request had insufficient authentication scopes.'
    r.body = (json.dumps(body, indent=2) + '\n').encode()
    return r
