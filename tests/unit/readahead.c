/* Unit tests of lib/readahead.c, with a fetch of the test's own: pages in
 * order, parsed; a stop in the middle of a long list; a page that is not
 * JSON and a fetch that fails each end the list. make tsan runs it under
 * ThreadSanitizer, which checks the module's thread rules. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "readahead.h"
#include "util.h"
#include "tap.h"

struct fake {
	int pages;      /* in the list */
	int bad_json;   /* this page's body is not JSON (0: none) */
	int fail;       /* this page's fetch fails with 75 (0: none) */
	int fetched;    /* the fetcher thread's alone until readahead_stop */
	char order[256];/* the tokens asked, in order */
};

static struct page *
fetch(void *arg, const char *token)
{
	struct fake *f = arg;
	struct page *pg = xcalloc(1, sizeof(*pg));
	int n = token ? (int)strtol(token + 1, NULL, 10) : 1;

	f->fetched++;
	strlcat(f->order, token ? token : "-", sizeof(f->order));
	strlcat(f->order, " ", sizeof(f->order));
	pg->resp.json = jv_invalid();
	if (n == f->fail) {
		pg->rc = EX_TEMPFAIL;
		return pg;
	}
	pg->resp.status = 200;
	buf_printf(&pg->resp.body, "{\"items\":[{\"id\":\"e%d\"}]", n);
	if (n < f->pages)
		buf_printf(&pg->resp.body, ",\"nextPageToken\":\"p%d\"", n + 1);
	buf_adds(&pg->resp.body, n == f->bad_json ? ",}" : "}");
	return pg;
}

/* The ids of the pages read, in order, with each page's rc when not 0. */
static void
read_all(struct fake *f, int stop_after, char *got, size_t len)
{
	struct readahead *ra = readahead_start(fetch, f);
	struct page *pg = NULL;
	jv items, item;
	int n = 0;

	got[0] = '\0';
	while ((pg = readahead_next(ra, pg)) != NULL) {
		items = json_get(pg->resp.json, "items");
		item = jv_get_kind(items) == JV_KIND_ARRAY ?
		    jv_array_get(jv_copy(items), 0) : jv_null();
		strlcat(got, json_str(item, "id") ? json_str(item, "id") : "?", len);
		if (pg->rc != 0) {
			char rc[16];

			snprintf(rc, sizeof(rc), "(%d)", pg->rc);
			strlcat(got, rc, len);
		}
		strlcat(got, " ", len);
		jv_free(item);
		jv_free(items);
		if (++n == stop_after)
			break;
	}
	readahead_stop(ra);
	page_free(pg);
}

int
main(void)
{
	struct fake f = {.pages = 5};
	char got[1024];

	read_all(&f, 0, got, sizeof(got));
	is_str(got, "e1 e2 e3 e4 e5 ", "five pages in order, parsed");
	is_str(f.order, "- p2 p3 p4 p5 ", "... each asked once, with the "
	    "token read off the page before");

	f = (struct fake){.pages = 1000};
	read_all(&f, 2, got, sizeof(got));
	is_str(got, "e1 e2 ", "a stop after two pages of 1000");
	ok(f.fetched <= 6, "... fetched only a few pages ahead (%d)", f.fetched);

	f = (struct fake){.pages = 5, .bad_json = 3};
	read_all(&f, 0, got, sizeof(got));
	is_str(got, "e1 e2 ?(-1) ", "a page that is not JSON: PAGE_NOT_JSON, "
	    "and the list ends there");

	f = (struct fake){.pages = 5, .fail = 2};
	read_all(&f, 0, got, sizeof(got));
	is_str(got, "e1 ?(75) ", "a fetch that fails: its status, and the "
	    "list ends there");
	ok(f.fetched == 2, "... nothing fetched after it (%d)", f.fetched);

	f = (struct fake){.pages = 1};
	read_all(&f, 0, got, sizeof(got));
	is_str(got, "e1 ", "a list of one page");
	return done_testing();
}
