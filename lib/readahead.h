/* readahead: the pages of a list fetched and parsed ahead of the caller,
 * on two threads of its own (make bench: a full pull of 100,000 events).
 *
 * A fetcher thread asks for page N+1 as soon as page N's nextPageToken is
 * read off its bytes (json_top_string), a parser thread parses page N
 * meanwhile, and the caller works through page N-1. Each hand-over holds
 * one page, so memory holds a few pages however many there are.
 *
 * Thread rules (make tsan checks them): fetch runs on the fetcher thread
 * only, from readahead_start until the last page or readahead_stop; what
 * it touches (its arg: a profile's token...) the caller must leave alone
 * until readahead_stop returns. A page is touched by one thread at a
 * time: the fetcher's, then the parser's, then the caller's from
 * readahead_next until it gives it back. */
#ifndef GCAL_READAHEAD_H
#define GCAL_READAHEAD_H

#include "http.h"

/* Not an exit status: a 200 answer that is not JSON. */
#define PAGE_NOT_JSON (-1)

struct page {
	char *next;                /* its nextPageToken as read off its bytes */
	struct http_response resp; /* json parsed by the parser thread */
	int rc;                    /* 0, PAGE_NOT_JSON, or fetch's status */
};

/* GET the page asked with token (NULL: the first), its body left raw
 * (resp.json invalid); rc 0 when its body is a page to parse. The page
 * is the caller's (xcalloc'ed). */
typedef struct page *(*readahead_fetch)(void *arg, const char *token);

struct readahead;

/* Start fetching the first page and those after it. */
struct readahead *readahead_start(readahead_fetch fetch, void *arg);
/* The next page in order, parsed (a failed one ends the list), or NULL
 * after the last. done is the page the caller is done with (or NULL):
 * given back, to be freed by the thread that made its JSON (glibc's
 * malloc then never has two threads in one arena; make bench saw them
 * waiting on its lock). */
struct page *readahead_next(struct readahead *ra, struct page *done);
/* Stop reading ahead and free what the threads hold; the page the caller
 * holds stays its own. NULL is fine. */
void readahead_stop(struct readahead *ra);

void page_free(struct page *pg);

#endif
