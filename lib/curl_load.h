/* curl_load: libcurl's functions, loaded on first use instead of at start-up.
 *
 * Measured (perf stat, Debian 12, libcurl 7.88): linking libcurl costs
 * every process 4.3 ms of CPU (1.9 -> 6.2 ms for gcal-pull --version)
 * for its chain of TLS, HTTP/2, IDN, LDAP and Kerberos libraries, while a
 * no-change pull takes 9.7 ms in all and pays it either way. A fleet
 * process (gcal-run) pays it once for thousands of links, so dlopen buys
 * it nothing; single runs from cron (--version, a cached token, gcal-diff)
 * still save it, so the load stays, here and nowhere else.
 *
 * Include this instead of <curl/curl.h>: the curl_* names below become
 * calls through the loaded table. curl_load() is idempotent and
 * thread-safe; call it before the first curl_* call. */
#ifndef GCAL_CURL_LOAD_H
#define GCAL_CURL_LOAD_H

#include <time.h>

/* Plain prototypes: the calls go through function pointers. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

struct curl_fns {
	CURLcode (*global_init)(long);
	void (*global_cleanup)(void);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	CURLHcode (*easy_header)(CURL *, const char *, size_t, unsigned int,
	    int, struct curl_header **);
	void (*easy_reset)(CURL *);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
	time_t (*getdate)(const char *, const time_t *);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_perform)(CURLM *, int *);
	CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd *, unsigned int,
	    int, int *);
	CURLMcode (*multi_wakeup)(CURLM *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	CURLMcode (*multi_cleanup)(CURLM *);
};
extern struct curl_fns curl_fns;

/* Load libcurl and run curl_global_init once; exits 70 when it cannot. */
void curl_load(void);

#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_global_init curl_fns.global_init
#define curl_global_cleanup curl_fns.global_cleanup
#define curl_easy_init curl_fns.easy_init
#define curl_easy_setopt curl_fns.easy_setopt
#define curl_easy_perform curl_fns.easy_perform
#define curl_easy_getinfo curl_fns.easy_getinfo
#define curl_easy_header curl_fns.easy_header
#define curl_easy_reset curl_fns.easy_reset
#define curl_easy_cleanup curl_fns.easy_cleanup
#define curl_easy_strerror curl_fns.easy_strerror
#define curl_slist_append curl_fns.slist_append
#define curl_slist_free_all curl_fns.slist_free_all
#define curl_getdate curl_fns.getdate
#define curl_multi_init curl_fns.multi_init
#define curl_multi_setopt curl_fns.multi_setopt
#define curl_multi_add_handle curl_fns.multi_add_handle
#define curl_multi_remove_handle curl_fns.multi_remove_handle
#define curl_multi_perform curl_fns.multi_perform
#define curl_multi_poll curl_fns.multi_poll
#define curl_multi_wakeup curl_fns.multi_wakeup
#define curl_multi_info_read curl_fns.multi_info_read
#define curl_multi_cleanup curl_fns.multi_cleanup

#endif
