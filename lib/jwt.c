#include <err.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "json.h"
#include "jwt.h"
#include "util.h"

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *
base64url(const void *p, size_t n)
{
	const unsigned char *s = p;
	struct buf b = {0};
	unsigned long v;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)s[i] << 16 | (unsigned long)s[i + 1] << 8 | s[i + 2];
		buf_addc(&b, b64url[v >> 18 & 63]);
		buf_addc(&b, b64url[v >> 12 & 63]);
		buf_addc(&b, b64url[v >> 6 & 63]);
		buf_addc(&b, b64url[v & 63]);
	}
	if (n - i == 1) {
		v = (unsigned long)s[i] << 16;
		buf_addc(&b, b64url[v >> 18 & 63]);
		buf_addc(&b, b64url[v >> 12 & 63]);
	} else if (n - i == 2) {
		v = (unsigned long)s[i] << 16 | (unsigned long)s[i + 1] << 8;
		buf_addc(&b, b64url[v >> 18 & 63]);
		buf_addc(&b, b64url[v >> 12 & 63]);
		buf_addc(&b, b64url[v >> 6 & 63]);
	}
	return buf_take(&b);
}

char *
base64url_decode(const char *s, size_t *len)
{
	struct buf b = {0};
	unsigned long v = 0;
	int bits = 0;
	const char *c;

	for (; *s && *s != '='; s++) {
		if ((c = strchr(b64url, *s)) == NULL) {
			buf_free(&b);
			return NULL;
		}
		v = v << 6 | (unsigned long)(c - b64url);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(&b, (char)(v >> bits & 0xff));
		}
	}
	*len = b.len;
	return buf_take(&b);
}

static char *
b64_json(jv v)
{
	char *s = json_dump(v), *out = base64url(s, strlen(s));

	free(s);
	return out;
}

char *
jwt_rs256(jv header, jv claims, const char *pem, char **why)
{
	char *h = b64_json(header), *c = b64_json(claims), *input, *sig, *out;
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	EVP_PKEY *key = NULL;
	EVP_MD_CTX *md = NULL;
	BIO *bio;

	input = xasprintf("%s.%s", h, c);
	free(h);
	free(c);
	out = NULL;
	*why = NULL;
	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL ||
	    (key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL) {
		*why = xstrdup("private_key is not a PEM private key");
		goto done;
	}
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
		*why = xstrdup("private_key is not an RSA key");
		goto done;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &rawlen, (unsigned char *)input,
	    strlen(input)) != 1) {
		*why = xstrdup("cannot sign with private_key");
		goto done;
	}
	raw = xmalloc(rawlen);
	if (EVP_DigestSign(md, raw, &rawlen, (unsigned char *)input,
	    strlen(input)) != 1) {
		*why = xstrdup("cannot sign with private_key");
		goto done;
	}
	sig = base64url(raw, rawlen);
	out = xasprintf("%s.%s", input, sig);
	free(sig);
done:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	BIO_free(bio);
	free(raw);
	free(input);
	return out;
}

jv
jwt_claims(const char *token)
{
	const char *dot1 = strchr(token, '.'), *dot2;
	char *part, *json;
	size_t len;
	jv v;

	if (dot1 == NULL || (dot2 = strchr(dot1 + 1, '.')) == NULL)
		return jv_invalid_with_msg(jv_string("not a JWT"));
	part = xstrndup(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	json = base64url_decode(part, &len);
	free(part);
	if (json == NULL)
		return jv_invalid_with_msg(jv_string("not a JWT"));
	v = json_parse(json, len);
	free(json);
	return v;
}
