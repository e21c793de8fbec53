/* Unit tests of lib/sync.c and lib/sync_plan.c: identities, the view
 * events are compared in, and the deletion cap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "sync.h"
#include "sync_plan.h"
#include "util.h"
#include "tap.h"

static void
test_identities(void)
{
	struct sync sy = {.owner = "gcal"};
	char id[32];
	size_t i, found = 0;
	struct sync_ent *e;

	ok(sync_ent(&sy, "x", 0) == NULL, "no identity before it is made");
	for (i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "ev%zu", i);
		sync_ent(&sy, id, 1);
	}
	ok(sy.n == 5000, "5,000 identities made (%zu)", sy.n);
	for (i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "ev%zu", i);
		e = sync_ent(&sy, id, 0);
		found += e != NULL && strcmp(e->id, id) == 0 && e == sy.v[i];
	}
	ok(found == 5000, "... each found again, in the order made, past the table's growth");
	ok(sync_ent(&sy, "ev1", 1) == sy.v[1] && sy.n == 5000, "making one again finds it");
	sync_free(&sy);
}

static void
test_view(void)
{
	struct sync sy = {.owner = "gcal"};
	jv ev = jv_parse("{\"id\":\"r_1\",\"recurringEventId\":\"r\",\"status\":\"cancelled\","
	    "\"summary\":\"gone\",\"originalStartTime\":{\"date\":\"2026-11-24\"}}");
	char *s;

	ev = sync_view(&sy, ev);
	s = json_dump(jv_copy(ev));
	is_str(s, "{\"id\":\"r_1\",\"originalStartTime\":{\"date\":\"2026-11-24\"},"
	    "\"recurringEventId\":\"r\",\"status\":\"cancelledInstance\"}",
	    "a cancelled instance is compared as just that");
	free(s);
	ev = sync_unview(ev);
	is_str(json_str(ev, "status"), "cancelled", "... and leaves with Google's status");
	jv_free(ev);
	sy.omit_attendees = 1;
	ev = sync_view(&sy, jv_parse("{\"id\":\"a\",\"attendees\":[{\"email\":\"x@example.com\"}]}"));
	ok(jv_get_kind(json_get(ev, "attendees")) == JV_KIND_NULL, "--attendees omit leaves guests out");
	jv_free(ev);
	ok(sync_same_text("{\"a\":1}", "{\"a\":1}") && !sync_same_text("{\"a\":1}", NULL) &&
	    sync_same_text(NULL, NULL), "sync_same_text: equal texts, and NULL only as NULL");
}

/* A base of n events, of which the plan deletes del on Google's side. */
static int
capped(size_t n, size_t del, const struct sync_cap *cap)
{
	struct sync sy = {.owner = "gcal"};
	struct sync_plan p = {0};
	struct sync_ent *e;
	char id[32];
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "e%zu", i);
		e = sync_ent(&sy, id, 1);
		e->base = xstrdup("{}");
		e->local = i < del ? NULL : xstrdup("{}");
		e->remote = xstrdup("{}");
	}
	sy.base_read = n;
	p.count[SYNC_REMOTE][2] = del;
	rc = sync_plan_capped(&sy, &p, cap);
	sync_free(&sy);
	return rc;
}

static void
test_cap(void)
{
	struct sync_cap half = {.max_delete = 50, .pct = 1};
	struct sync_cap three = {.max_delete = 3};
	struct sync_cap all = {.max_delete = 50, .pct = 1, .allow_all = 1};

	ok(!capped(10, 5, &half), "50%%: 5 of 10 deletions go");
	ok(capped(10, 6, &half), "50%%: 6 of 10 stop the run");
	ok(!capped(10, 3, &three) && capped(10, 4, &three), "--max-delete 3: 3 go, 4 stop");
	ok(capped(10, 10, &half), "deleting every event stops the run");
	ok(!capped(10, 10, &all), "... unless --allow-delete-all");
}

int
main(void)
{
	test_identities();
	test_view();
	test_cap();
	return done_testing();
}
