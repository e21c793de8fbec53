#include <err.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "json.h"
#include "readahead.h"
#include "util.h"

/* A hand-over of one page between two threads. A page the taker is done
 * with goes back the other way, to be freed by the putter. */
struct slot {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct page *page;
	struct page *done; /* the taker's, for the putter to free */
	int closed;        /* no more pages either way */
};

struct readahead {
	readahead_fetch fetch;
	void *arg;
	struct slot fetched, parsed;
	pthread_t fetcher, parser;
};

void
page_free(struct page *pg)
{
	if (pg == NULL)
		return;
	free(pg->next);
	http_response_free(&pg->resp);
	free(pg);
}

/* Give pg to the other side; -1 (pg still the caller's) once closed. */
static int
slot_put(struct slot *sl, struct page *pg)
{
	struct page *done;
	int rc = 0;

	pthread_mutex_lock(&sl->lock);
	while (sl->page != NULL && !sl->closed)
		pthread_cond_wait(&sl->cond, &sl->lock);
	if (sl->closed)
		rc = -1;
	else
		sl->page = pg;
	done = sl->done;
	sl->done = NULL;
	pthread_cond_broadcast(&sl->cond);
	pthread_mutex_unlock(&sl->lock);
	page_free(done);
	return rc;
}

/* The next page, or NULL once closed with none left; done (or NULL) is
 * the last page taken, given back. */
static struct page *
slot_take(struct slot *sl, struct page *done)
{
	struct page *pg;

	pthread_mutex_lock(&sl->lock);
	if (sl->done == NULL && !sl->closed) {
		sl->done = done;
		done = NULL;
	}
	while (sl->page == NULL && !sl->closed)
		pthread_cond_wait(&sl->cond, &sl->lock);
	pg = sl->page;
	sl->page = NULL;
	pthread_cond_broadcast(&sl->cond);
	pthread_mutex_unlock(&sl->lock);
	page_free(done);
	return pg;
}

static int
slot_closed(struct slot *sl)
{
	int closed;

	pthread_mutex_lock(&sl->lock);
	closed = sl->closed;
	pthread_mutex_unlock(&sl->lock);
	return closed;
}

static void
slot_init(struct slot *sl)
{
	pthread_mutex_init(&sl->lock, NULL);
	pthread_cond_init(&sl->cond, NULL);
	sl->page = NULL;
	sl->done = NULL;
	sl->closed = 0;
}

static void
slot_close(struct slot *sl)
{
	pthread_mutex_lock(&sl->lock);
	sl->closed = 1;
	pthread_cond_broadcast(&sl->cond);
	pthread_mutex_unlock(&sl->lock);
}

static void
slot_destroy(struct slot *sl)
{
	page_free(sl->page);
	page_free(sl->done);
	pthread_cond_destroy(&sl->cond);
	pthread_mutex_destroy(&sl->lock);
}

/* The fetcher: each page as soon as the last one's token is read. */
static void *
fetch_pages(void *arg)
{
	struct readahead *ra = arg;
	struct page *pg;
	const char *next;
	char *token = NULL;
	size_t len;

	do {
		pg = ra->fetch(ra->arg, token);
		free(token);
		token = NULL;
		next = pg->rc == 0 ? json_top_string(pg->resp.body.data,
		    pg->resp.body.len, "nextPageToken", &len) : NULL;
		if (next) {
			pg->next = xstrndup(next, len);
			token = xstrdup(pg->next);
		}
		if (slot_put(&ra->fetched, pg) == -1) {
			page_free(pg);
			break;
		}
	} while (token && !slot_closed(&ra->fetched));
	free(token);
	return NULL;
}

/* The parser: each fetched page's JSON, for the caller; after the last
 * (or a failed one) the caller's slot closes. */
static void *
parse_pages(void *arg)
{
	struct readahead *ra = arg;
	struct page *pg;
	int last;

	while ((pg = slot_take(&ra->fetched, NULL)) != NULL) {
		if (pg->rc == 0) {
			pg->resp.json = json_parse(pg->resp.body.data ?
			    pg->resp.body.data : "", pg->resp.body.len);
			if (!jv_is_valid(pg->resp.json))
				pg->rc = PAGE_NOT_JSON;
			buf_free(&pg->resp.body); /* parsed: the bytes are done */
		}
		last = pg->rc != 0 || pg->next == NULL;
		if (slot_put(&ra->parsed, pg) == -1) {
			page_free(pg);
			break;
		}
		if (last) {
			slot_close(&ra->parsed);
			break;
		}
	}
	return NULL;
}

struct readahead *
readahead_start(readahead_fetch fetch, void *arg)
{
	struct readahead *ra = xcalloc(1, sizeof(*ra));

	ra->fetch = fetch;
	ra->arg = arg;
	slot_init(&ra->fetched);
	slot_init(&ra->parsed);
	if (pthread_create(&ra->fetcher, NULL, fetch_pages, ra) != 0 ||
	    pthread_create(&ra->parser, NULL, parse_pages, ra) != 0)
		errx(EX_OSERR, "cannot start a thread");
	return ra;
}

struct page *
readahead_next(struct readahead *ra, struct page *done)
{
	return slot_take(&ra->parsed, done);
}

void
readahead_stop(struct readahead *ra)
{
	if (ra == NULL)
		return;
	slot_close(&ra->fetched);
	slot_close(&ra->parsed);
	pthread_join(ra->fetcher, NULL);
	pthread_join(ra->parser, NULL);
	slot_destroy(&ra->fetched);
	slot_destroy(&ra->parsed);
	free(ra);
}
