/* Unit tests of lib/msauth.c: what Microsoft's token and device code
 * answers mean, and the one-line text of its errors. */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "msauth.h"
#include "util.h"
#include "tap.h"

static jv
j(const char *s)
{
	return json_parse(s, strlen(s));
}

/* the device answer of body for status, with interval 1 going in */
static int
device(long status, const char *body, int *interval)
{
	jv b = j(body);
	int rc;

	*interval = 1;
	rc = msauth_device_answer(status, b, interval);
	jv_free(b);
	return rc;
}

static int
token_exit(long status, const char *body)
{
	jv b = j(body);
	int rc = msauth_token_exit(status, b);

	jv_free(b);
	return rc;
}

static void
test_device(void)
{
	int iv;

	ok(device(400, "{\"error\":\"authorization_pending\",\"error_codes\":[70016]}",
	    &iv) == MSAUTH_PENDING && iv == 1,
	    "authorization_pending: ask again at the same interval");
	ok(device(400, "{\"error\":\"slow_down\"}", &iv) == MSAUTH_PENDING &&
	    iv == 6, "slow_down: ask again, 5 s slower (RFC 8628 3.5)");
	ok(device(400, "{\"error\":\"authorization_declined\"}", &iv) == EX_NOPERM,
	    "authorization_declined: 77");
	ok(device(400, "{\"error\":\"expired_token\",\"error_codes\":[70020]}",
	    &iv) == EX_TEMPFAIL, "expired_token: 75, run login again");
	ok(device(400, "{\"error\":\"bad_verification_code\"}", &iv) ==
	    EX_UNAVAILABLE, "bad_verification_code: 69");
	ok(device(200, "{\"access_token\":\"a\",\"refresh_token\":\"r\"}", &iv) ==
	    MSAUTH_DONE, "a token answer ends the polling");
	ok(device(200, "{\"token_type\":\"Bearer\"}", &iv) == EX_UNAVAILABLE,
	    "a 200 without access_token is unusable: 69");
	ok(device(503, "{}", &iv) == EX_TEMPFAIL, "a 503 while polling: 75");
	ok(device(400, "{\"error\":\"invalid_client\"}", &iv) == EX_CONFIG,
	    "another error is judged as at the token endpoint");
}

static void
test_token_exit(void)
{
	ok(token_exit(400, "{\"error\":\"invalid_grant\",\"error_codes\":[70008]}") ==
	    EX_NOPERM, "invalid_grant (AADSTS70008, expired): 77");
	ok(token_exit(400, "{\"error\":\"invalid_grant\",\"error_codes\":[50173]}") ==
	    EX_NOPERM, "invalid_grant (AADSTS50173, revoked): 77");
	ok(token_exit(400, "{\"error\":\"interaction_required\"}") == EX_NOPERM,
	    "interaction_required: 77");
	ok(token_exit(401, "{\"error\":\"invalid_client\"}") == EX_CONFIG,
	    "invalid_client: 78");
	ok(token_exit(400, "{\"error\":\"unauthorized_client\"}") == EX_CONFIG,
	    "unauthorized_client: 78");
	ok(token_exit(400, "{\"error\":\"temporarily_unavailable\"}") == EX_TEMPFAIL,
	    "temporarily_unavailable: 75");
	ok(token_exit(502, "not json") == EX_TEMPFAIL, "a 502 of any body: 75");
	ok(token_exit(429, "{}") == EX_TEMPFAIL, "429: 75");
	ok(token_exit(400, "{\"error\":\"unsupported_grant_type\"}") ==
	    EX_UNAVAILABLE, "an error that says we erred: 69");
}

static void
test_error_text(void)
{
	jv b = j("{\"error\":\"invalid_grant\",\"error_description\":\"AADSTS700082: "
	    "The refresh token has expired due to inactivity.\\r\\nTrace ID: "
	    "0000aaaa\\r\\nCorrelation ID: aaaa0000\\r\\nTimestamp: 2026-01-09 "
	    "02:02:12Z\",\"error_codes\":[700082]}");
	char *s = msauth_error_text(b);

	is_str(s, "AADSTS700082: The refresh token has expired due to inactivity.",
	    "the error text is the description's first line, without the trace");
	free(s);
	jv_free(b);
	b = j("{\"error\":\"invalid_client\"}");
	s = msauth_error_text(b);
	is_str(s, "invalid_client", "without a description, the error");
	free(s);
	jv_free(b);
	b = j("{}");
	ok(msauth_error_text(b) == NULL, "nothing to say: NULL");
	jv_free(b);
}

static void
test_tenant(void)
{
	ok(msauth_valid_tenant("common") && msauth_valid_tenant("consumers") &&
	    msauth_valid_tenant("organizations"), "the three aliases are tenants");
	ok(msauth_valid_tenant("3f1c9a2e-5b7d-4e8f-9a0b-1c2d3e4f5a6b"),
	    "a GUID is a tenant");
	ok(msauth_valid_tenant("contoso.onmicrosoft.com"), "a domain is a tenant");
	ok(!msauth_valid_tenant("a/b") && !msauth_valid_tenant("") &&
	    !msauth_valid_tenant("x?y") && !msauth_valid_tenant("-x") &&
	    !msauth_valid_tenant(".."), "a path, a query or nothing is not");
}

int
main(void)
{
	test_device();
	test_token_exit();
	test_error_text();
	test_tenant();
	return done_testing();
}
