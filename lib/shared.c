#include <err.h>
#include <pthread.h>
#include <stdlib.h>

#include "curl_load.h"
#include "http.h"
#include "shared.h"
#include "util.h"

/* A transfer handed to the multi thread; on the sender's stack. */
struct job {
	CURL *easy;
	int rc;
	int done;
	pthread_cond_t cond;
	struct job *next;
};

/* Guarded by lock, but multi: the multi thread's alone (curl_multi_wakeup
 * is the one call other threads make on it, and it is thread-safe). */
static struct {
	pthread_mutex_t lock;
	CURLM *multi;
	pthread_t thread;
	struct job *head, *tail; /* waiting to be added */
	int in_flight, max;
	int on, stopping;
} sh = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void
check(CURLMcode mc, const char *what)
{
	if (mc != CURLM_OK)
		errx(EX_SOFTWARE, "%s: libcurl multi error %d", what, (int)mc);
}

/* Move waiting jobs onto the multi handle, up to max in flight; 1 when
 * the loop may end (stopping, nothing left). Under lock. */
static int
admit(void)
{
	struct job *j;

	while (sh.head != NULL && sh.in_flight < sh.max) {
		j = sh.head;
		if ((sh.head = j->next) == NULL)
			sh.tail = NULL;
		curl_easy_setopt(j->easy, CURLOPT_PRIVATE, j);
		check(curl_multi_add_handle(sh.multi, j->easy), "add");
		sh.in_flight++;
	}
	return sh.stopping && sh.head == NULL && sh.in_flight == 0;
}

static void
finished(void)
{
	CURLMsg *m;
	struct job *j;
	char *p;
	int left;

	while ((m = curl_multi_info_read(sh.multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &p);
		j = (struct job *)(void *)p;
		curl_multi_remove_handle(sh.multi, m->easy_handle);
		pthread_mutex_lock(&sh.lock);
		j->rc = (int)m->data.result;
		j->done = 1;
		sh.in_flight--;
		pthread_cond_signal(&j->cond);
		pthread_mutex_unlock(&sh.lock);
	}
}

static void *
loop(void *arg)
{
	int running, end;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&sh.lock);
		end = admit();
		pthread_mutex_unlock(&sh.lock);
		if (end)
			break;
		check(curl_multi_perform(sh.multi, &running), "perform");
		finished();
		check(curl_multi_poll(sh.multi, NULL, 0, 1000, NULL), "poll");
	}
	return NULL;
}

int
http_shared_begin(int max_in_flight)
{
	pthread_mutex_lock(&sh.lock);
	if (sh.on) {
		pthread_mutex_unlock(&sh.lock);
		return -1;
	}
	curl_load();
	if ((sh.multi = curl_multi_init()) == NULL)
		errx(EX_SOFTWARE, "cannot start libcurl's multi handle");
	sh.max = max_in_flight < 1 ? 1 : max_in_flight;
	/* HTTP/2 streams on one connection where the server offers it (Google
	 * does), else keep-alive connections, at most one a transfer in
	 * flight, kept for the next ones */
	curl_multi_setopt(sh.multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(sh.multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)sh.max);
	curl_multi_setopt(sh.multi, CURLMOPT_MAXCONNECTS, (long)sh.max * 4);
	sh.head = sh.tail = NULL;
	sh.in_flight = 0;
	sh.stopping = 0;
	if (pthread_create(&sh.thread, NULL, loop, NULL) != 0)
		errx(EX_OSERR, "cannot start a thread");
	sh.on = 1;
	pthread_mutex_unlock(&sh.lock);
	return 0;
}

void
http_shared_end(void)
{
	pthread_mutex_lock(&sh.lock);
	if (!sh.on) {
		pthread_mutex_unlock(&sh.lock);
		return;
	}
	sh.stopping = 1;
	curl_multi_wakeup(sh.multi);
	pthread_mutex_unlock(&sh.lock);
	pthread_join(sh.thread, NULL);
	pthread_mutex_lock(&sh.lock);
	curl_multi_cleanup(sh.multi);
	sh.multi = NULL;
	sh.on = 0;
	pthread_mutex_unlock(&sh.lock);
}

int
shared_perform(CURL *easy)
{
	struct job j = {.easy = easy};

	pthread_mutex_lock(&sh.lock);
	if (!sh.on || sh.stopping) {
		pthread_mutex_unlock(&sh.lock);
		return -1;
	}
	pthread_cond_init(&j.cond, NULL);
	if (sh.tail)
		sh.tail->next = &j;
	else
		sh.head = &j;
	sh.tail = &j;
	curl_multi_wakeup(sh.multi);
	while (!j.done)
		pthread_cond_wait(&j.cond, &sh.lock);
	pthread_mutex_unlock(&sh.lock);
	pthread_cond_destroy(&j.cond);
	return j.rc;
}
