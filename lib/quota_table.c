/* quota_table: see quota_table.h. */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quota_table.h"
#include "state.h"
#include "util.h"

#define ENTRIES 16384
#define PROBES 64
#define SLOW_MAX 16
#define QUOTA_MAGIC "gcalqta"
#define QUOTA_VERSION 1

struct table {
	char magic[8];
	uint32_t version;
	uint32_t entries;
	uint32_t slots;
	struct qt_entry e[ENTRIES];
};


static struct table *tab;
static int tab_fd = -1;
static long visits;
static int full_warned;

/* Map the table once per process; exits 78 for a file of another shape. */
int
qt_open(void)
{
	char *path = state_path(STATE_STATE, NULL, "quota");
	struct table head;
	struct stat st;
	ssize_t got;
	void *m;

	if (tab != NULL) {
		free(path);
		return 0;
	}
	if (state_mkdir_for(path) == -1 || (tab_fd = open(path, O_RDWR |
	    O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1) {
		warn("'%s'", path);
		free(path);
		return -1;
	}
	flock(tab_fd, LOCK_EX);
	if (fstat(tab_fd, &st) == 0 && st.st_size == 0) {
		memset(&head, 0, offsetof(struct table, e));
		memcpy(head.magic, QUOTA_MAGIC, sizeof(head.magic));
		head.version = QUOTA_VERSION;
		head.entries = ENTRIES;
		head.slots = SLOTS;
		if (ftruncate(tab_fd, sizeof(struct table)) == -1 ||
		    pwrite(tab_fd, &head, offsetof(struct table, e), 0) == -1)
			err(EX_SOFTWARE, "'%s'", path);
	}
	got = pread(tab_fd, &head, offsetof(struct table, e), 0);
	if (got != (ssize_t)offsetof(struct table, e) ||
	    memcmp(head.magic, QUOTA_MAGIC, sizeof(head.magic)) != 0)
		errx(EX_CONFIG, "'%s': damaged: not a quota table (remove it: "
		    "it holds the last minute's pacing only)", path);
	if (head.version != QUOTA_VERSION)
		errx(EX_CONFIG, "'%s': version %u, this gcal knows %d", path,
		    head.version, QUOTA_VERSION);
	if (head.entries != ENTRIES || head.slots != SLOTS || fstat(tab_fd, &st) == -1 ||
	    st.st_size != (off_t)sizeof(struct table))
		errx(EX_CONFIG, "'%s': damaged: the wrong size", path);
	m = mmap(NULL, sizeof(struct table), PROT_READ | PROT_WRITE, MAP_SHARED,
	    tab_fd, 0);
	if (m == MAP_FAILED)
		err(EX_SOFTWARE, "'%s'", path);
	flock(tab_fd, LOCK_UN);
	tab = m;
	free(path);
	return 0;
}

/* Bring e to slot cur: clear the slots that left the minute. */
static void
advance(struct qt_entry *e, int64_t cur)
{
	int64_t i, k = cur - e->last;

	if (k <= 0)
		return; /* the clock went back: spend in the last slot */
	for (i = 1; i <= k && i <= SLOTS; i++)
		e->n[(e->last + i) % SLOTS] = 0;
	e->last = cur;
}

long
qt_used(const struct qt_entry *e)
{
	long u = 0;
	int i;

	for (i = 0; i < SLOTS; i++)
		u += e->n[i];
	return u;
}

static int
idle(const struct qt_entry *e, int64_t cur, long long ms)
{
	return cur - e->last >= SLOTS && e->slow_until <= ms &&
	    e->stop_until * 1000 <= ms;
}

/* The entry of key, made when missing; NULL when the table is full. */
struct qt_entry *
qt_find(uint64_t key, int64_t cur, long long ms)
{
	struct qt_entry *e, *reuse = NULL;
	size_t i, at = key & (ENTRIES - 1);

	for (i = 0; i < PROBES; i++) {
		e = &tab->e[(at + i) & (ENTRIES - 1)];
		if (e->key == key)
			break;
		if (e->key == 0 || (reuse == NULL && idle(e, cur, ms))) {
			if (reuse == NULL)
				reuse = e;
			if (e->key == 0)
				break;
		}
		e = NULL;
	}
	if (i == PROBES || e == NULL || e->key != key) {
		if ((e = reuse) == NULL) {
			if (!full_warned++)
				warnx("the quota table is full: some requests are "
				    "not paced");
			return NULL;
		}
		memset(e, 0, sizeof(*e));
		e->key = key;
		e->last = cur;
	}
	advance(e, cur);
	return e;
}

long
qt_room(const struct qt_entry *e, long limit, long long ms)
{
	if (e->slow_until > ms && e->slow_div > 1)
		limit /= e->slow_div;
	if (limit < 1)
		limit = 1;
	return limit - qt_used(e);
}

void
qt_spend(struct qt_entry *e, int64_t cur, long n)
{
	e->n[cur % SLOTS] += (uint32_t)n;
}

void
qt_lock(void)
{
	visits++;
	while (flock(tab_fd, LOCK_EX) == -1 && errno == EINTR)
		;
}

void
qt_unlock(void)
{
	flock(tab_fd, LOCK_UN);
}


long
qt_visits(void)
{
	return visits;
}

void
qt_give_back(struct qt_entry *e, int64_t slot, int64_t cur, long n)
{
	uint32_t *c;

	if (n <= 0 || cur - slot >= SLOTS || slot > e->last ||
	    e->last - slot >= SLOTS)
		return;
	c = &e->n[slot % SLOTS];
	*c -= *c < (uint32_t)n ? *c : (uint32_t)n;
}

void
qt_slow(struct qt_entry *e, long long ms, long long minute_ms,
    long long slot_ms)
{
	if (e->slow_until > ms && e->slow_until - minute_ms + slot_ms > ms)
		return;
	e->slow_div = e->slow_until > ms && e->slow_div >= 2 ?
	    (e->slow_div * 2 > SLOW_MAX ? SLOW_MAX : e->slow_div * 2) : 2;
	e->slow_until = ms + minute_ms;
}

