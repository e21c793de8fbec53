#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"
#include "zone.h"

/* A POSIX TZ rule date: Jn (1-365, no Feb 29), n (0-365), or Mm.w.d. */
struct rule_date {
	char kind; /* 'J', 'n' or 'M' */
	int n, m, w, d;
	long time; /* seconds after local midnight, default 02:00 */
};

/* "STDoffset[DST[offset][,start[/time],end[/time]]]" (POSIX.1 8.3). */
struct rule {
	long std, dst; /* seconds east of UTC */
	int has_dst;
	struct rule_date start, end;
};

struct zone {
	char *name;
	int known;
	long long *trans;    /* transition instants, ascending */
	unsigned char *idx;  /* the type each transition starts */
	size_t ntrans;
	long *types;         /* each type's offset, seconds east */
	size_t ntypes;
	int has_rule;        /* after the last transition (or for all time) */
	struct rule rule;
	struct zone *next;
};

/* Zones loaded, kept for the process; names come from events (a
 * timeZone), so only zones that exist are kept, and at most MAX_ZONES
 * of them (the zoneinfo files hold about 600). */
#define MAX_ZONES 4096
static pthread_mutex_t zones_lock = PTHREAD_MUTEX_INITIALIZER;
static struct zone *zones;
static size_t nzones;

/* timegm(3) (glibc, the BSDs): UTC whatever TZ says, and thread-safe.
 * The dates come parsed (a year of four digits) or from gmtime_r, so no
 * midnight is the -1 of an error. */
long long
zone_days(long long y, unsigned m, unsigned d)
{
	struct tm tm = {.tm_year = (int)(y - 1900), .tm_mon = (int)m - 1,
	    .tm_mday = (int)d};

	return (long long)timegm(&tm) / 86400;
}

static int
leap(long long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
month_days(long long y, int m)
{
	static const unsigned char n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31};

	return n[m - 1] + (m == 2 && leap(y));
}

/* --- POSIX TZ strings ---------------------------------------------------- */

static const char *
tz_name(const char *s)
{
	const char *p = s;

	if (*p == '<') {
		while (*++p && *p != '>')
			;
		return *p == '>' && p - s > 1 ? p + 1 : NULL;
	}
	while (isalpha((unsigned char)*p))
		p++;
	return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]], hh up to maxh: seconds in *v. */
static const char *
tz_hms(const char *s, int maxh, long *v)
{
	long part[3] = {0, 0, 0};
	int sign = 1, i, nd;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	for (i = 0; i < 3; i++) {
		if (i > 0) {
			if (*s != ':')
				break;
			s++;
		}
		for (nd = 0; isdigit((unsigned char)*s) && nd < 3; nd++)
			part[i] = part[i] * 10 + (*s++ - '0');
		if (nd == 0 || (i == 0 && part[0] > maxh) || (i > 0 && part[i] > 59))
			return NULL;
	}
	*v = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	return s;
}

static const char *
tz_num(const char *s, int lo, int hi, int *v)
{
	int n = 0, nd = 0;

	for (; isdigit((unsigned char)*s) && nd < 4; s++, nd++)
		n = n * 10 + (*s - '0');
	if (nd == 0 || n < lo || n > hi)
		return NULL;
	*v = n;
	return s;
}

static const char *
tz_date(const char *s, struct rule_date *r)
{
	r->time = 7200;
	if (*s == 'J') {
		r->kind = 'J';
		s = tz_num(s + 1, 1, 365, &r->n);
	} else if (*s == 'M') {
		r->kind = 'M';
		if ((s = tz_num(s + 1, 1, 12, &r->m)) == NULL || *s != '.' ||
		    (s = tz_num(s + 1, 1, 5, &r->w)) == NULL || *s != '.')
			return NULL;
		s = tz_num(s + 1, 0, 6, &r->d);
	} else {
		r->kind = 'n';
		s = tz_num(s, 0, 365, &r->n);
	}
	if (s && *s == '/')
		s = tz_hms(s + 1, 167, &r->time); /* RFC 8536 3.3.1 */
	return s;
}

/* Parse a POSIX TZ string into r: 0 or -1. */
static int
tz_parse(const char *s, struct rule *r)
{
	long off;

	memset(r, 0, sizeof(*r));
	if ((s = tz_name(s)) == NULL || (s = tz_hms(s, 24, &off)) == NULL)
		return -1;
	r->std = -off; /* POSIX counts west */
	if (*s == '\0')
		return 0;
	if ((s = tz_name(s)) == NULL)
		return -1;
	r->has_dst = 1;
	r->dst = r->std + 3600;
	if (*s && *s != ',') {
		if ((s = tz_hms(s, 24, &off)) == NULL)
			return -1;
		r->dst = -off;
	}
	if (*s == '\0') {
		/* no rule: the one POSIX leaves to the implementation;
		 * glibc's is the US rule */
		r->start = (struct rule_date){'M', 0, 3, 2, 0, 7200};
		r->end = (struct rule_date){'M', 0, 11, 1, 0, 7200};
		return 0;
	}
	if (*s != ',' || (s = tz_date(s + 1, &r->start)) == NULL || *s != ',' ||
	    (s = tz_date(s + 1, &r->end)) == NULL || *s != '\0')
		return -1;
	return 0;
}

/* Days since 1970 of a rule date in year y. */
static long long
rule_day(long long y, const struct rule_date *r)
{
	long long first, day;
	int wd;

	switch (r->kind) {
	case 'J':
		return zone_days(y, 1, 1) + r->n - 1 + (leap(y) && r->n >= 60);
	case 'n':
		return zone_days(y, 1, 1) + r->n;
	default:
		first = zone_days(y, (unsigned)r->m, 1);
		wd = (int)(((first + 4) % 7 + 7) % 7); /* 1970-01-01: Thursday */
		day = first + (r->d - wd + 7) % 7 + 7 * (r->w - 1);
		while (day - first >= month_days(y, r->m))
			day -= 7;
		return day;
	}
}

static long
rule_offset(const struct rule *r, long long t)
{
	long long y, start, end;
	time_t tt;
	struct tm tm;
	int dst;

	if (!r->has_dst)
		return r->std;
	tt = (time_t)(t + r->std);
	if (gmtime_r(&tt, &tm) == NULL)
		return r->std;
	y = (long long)tm.tm_year + 1900;
	/* the start is given in standard time, the end in summer time */
	start = rule_day(y, &r->start) * 86400 + r->start.time - r->std;
	end = rule_day(y, &r->end) * 86400 + r->end.time - r->dst;
	if (start < end)
		dst = t >= start && t < end;
	else /* the southern hemisphere: summer spans the new year */
		dst = !(t >= end && t < start);
	return dst ? r->dst : r->std;
}

/* --- TZif files (RFC 8536) --------------------------------------------- */

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	    p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* The whole of a small regular file: 0, or -1. */
static int
slurp(const char *path, unsigned char **data, size_t *len)
{
	struct stat st;
	ssize_t got;
	size_t n = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > (1 << 20)) {
		close(fd);
		return -1;
	}
	*data = xmalloc((size_t)st.st_size + 1);
	while (n < (size_t)st.st_size &&
	    (got = read(fd, *data + n, (size_t)st.st_size - n)) > 0)
		n += (size_t)got;
	close(fd);
	if (n != (size_t)st.st_size) {
		free(*data);
		return -1;
	}
	*len = n;
	return 0;
}

/* Read a TZif file into z: 0, or -1 when it is not one. */
static int
tzif_load(struct zone *z, const unsigned char *p, size_t len)
{
	const unsigned char *end = p + len, *d;
	uint32_t isut, isstd, leapn, timen, typen, charn;
	size_t tsize, block, i;
	char *footer;
	const unsigned char *nl;

	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	tsize = 4;
	for (;;) {
		isut = be32(p + 20), isstd = be32(p + 24), leapn = be32(p + 28);
		timen = be32(p + 32), typen = be32(p + 36), charn = be32(p + 40);
		if (typen == 0 || typen > 256 || timen > 1000000 || leapn > 100000 ||
		    charn > 100000 || isut > typen || isstd > typen)
			return -1;
		block = (size_t)timen * tsize + timen + (size_t)typen * 6 + charn +
		    (size_t)leapn * (tsize + 4) + isstd + isut;
		if ((size_t)(end - p) < 44 + block)
			return -1;
		/* version 2 and later: the 64-bit block after the 32-bit one */
		if (tsize == 4 && p[4] >= '2') {
			p += 44 + block;
			if ((size_t)(end - p) < 44 || memcmp(p, "TZif", 4) != 0)
				return -1;
			tsize = 8;
			continue;
		}
		break;
	}
	d = p + 44;
	z->ntrans = timen;
	z->trans = xcalloc(timen ? timen : 1, sizeof(*z->trans));
	z->idx = xcalloc(timen ? timen : 1, 1);
	for (i = 0; i < timen; i++, d += tsize)
		z->trans[i] = tsize == 8 ? be64(d) : (int32_t)be32(d);
	for (i = 0; i < timen; i++, d++) {
		if (*d >= typen)
			return -1;
		z->idx[i] = *d;
	}
	z->ntypes = typen;
	z->types = xcalloc(typen, sizeof(*z->types));
	for (i = 0; i < typen; i++, d += 6)
		z->types[i] = (int32_t)be32(d);
	d = p + 44 + block;
	/* the footer: "\nTZ\n" */
	if (tsize == 8 && d < end && *d == '\n' &&
	    (nl = memchr(d + 1, '\n', (size_t)(end - d - 1))) != NULL &&
	    nl > d + 1) {
		footer = xstrndup((const char *)d + 1, (size_t)(nl - d - 1));
		z->has_rule = tz_parse(footer, &z->rule) == 0;
		free(footer);
	}
	return 0;
}

static void
zone_load(struct zone *z)
{
	const char *dir = getenv("TZDIR"), *name = z->name;
	unsigned char *data;
	size_t len;
	char *path;

	if (*name == ':')
		name++;
	/* a name under the zoneinfo directory, never a path out of it */
	if (*name && *name != '/' && strstr(name, "..") == NULL) {
		path = xasprintf("%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo",
		    name);
		if (slurp(path, &data, &len) == 0) {
			z->known = tzif_load(z, data, len) == 0;
			free(data);
		}
		free(path);
	}
	if (!z->known) {
		free(z->trans);
		free(z->idx);
		free(z->types);
		z->trans = NULL;
		z->idx = NULL;
		z->types = NULL;
		z->ntrans = z->ntypes = 0;
		z->has_rule = z->known = tz_parse(name, &z->rule) == 0;
	}
}

static void
zone_free(struct zone *z)
{
	if (z == NULL)
		return;
	free(z->name);
	free(z->trans);
	free(z->idx);
	free(z->types);
	free(z);
}

/* The zone called name, or NULL. *tmp is set when it is not kept: the
 * caller frees it with zone_free. */
static const struct zone *
zone_get(const char *name, struct zone **tmp)
{
	struct zone *z;

	*tmp = NULL;
	pthread_mutex_lock(&zones_lock);
	for (z = zones; z && strcmp(z->name, name) != 0; z = z->next)
		;
	if (z == NULL) {
		z = xcalloc(1, sizeof(*z));
		z->name = xstrdup(name);
		zone_load(z);
		if (z->known && nzones < MAX_ZONES) {
			z->next = zones;
			zones = z;
			nzones++;
		} else
			*tmp = z;
	}
	pthread_mutex_unlock(&zones_lock);
	/* a zone is never changed once loaded */
	if (!z->known) {
		zone_free(z);
		*tmp = NULL;
		return NULL;
	}
	return z;
}

static long
offset_at(const struct zone *z, long long t)
{
	size_t lo = 0, hi = z->ntrans, mid;

	if (z->ntrans == 0)
		return z->has_rule ? rule_offset(&z->rule, t) : z->types[0];
	if (t < z->trans[0])
		return z->types[0]; /* RFC 8536 3.2: type 0 before the first */
	if (t >= z->trans[z->ntrans - 1] && z->has_rule)
		return rule_offset(&z->rule, t);
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->types[z->idx[lo]];
}

int
zone_offset(const char *name, long long t, long *off)
{
	struct zone *tmp;
	const struct zone *z = zone_get(name, &tmp);

	if (z == NULL)
		return -1;
	*off = offset_at(z, t);
	zone_free(tmp);
	return 0;
}

int
zone_local_to_utc(const char *name, long long local, long long *t)
{
	struct zone *tmp;
	const struct zone *z = zone_get(name, &tmp);
	long a, b;
	int va, vb;

	if (z == NULL)
		return -1;
	/* the offsets in force a day before and a day after: a clock
	 * changes far less often than that */
	a = offset_at(z, local - 86400);
	b = offset_at(z, local + 86400);
	va = offset_at(z, local - a) == a;
	vb = offset_at(z, local - b) == b;
	if (va && vb)
		*t = local - (a > b ? a : b); /* shown twice: the earlier */
	else if (vb)
		*t = local - b;
	else
		*t = local - a; /* valid, or in a gap: the offset before it */
	zone_free(tmp);
	return 0;
}
