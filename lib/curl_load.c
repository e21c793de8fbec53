#include <dlfcn.h>
#include <stddef.h>
#include <err.h>
#include <pthread.h>

#include "curl_load.h"
#include "util.h"

struct curl_fns curl_fns;

static void *
sym(void *lib, const char *name)
{
	void *f = dlsym(lib, name);

	if (f == NULL)
		errx(EX_SOFTWARE, "libcurl has no %s: %s", name, dlerror());
	return f;
}

static void
load(void)
{
	static const struct {
		const char *name;
		size_t off;
	} t[] = {
#define F(f, n) {n, offsetof(struct curl_fns, f)}
		F(global_init, "curl_global_init"),
		F(global_cleanup, "curl_global_cleanup"),
		F(easy_init, "curl_easy_init"),
		F(easy_setopt, "curl_easy_setopt"),
		F(easy_perform, "curl_easy_perform"),
		F(easy_getinfo, "curl_easy_getinfo"),
		F(easy_header, "curl_easy_header"),
		F(easy_reset, "curl_easy_reset"),
		F(easy_cleanup, "curl_easy_cleanup"),
		F(easy_strerror, "curl_easy_strerror"),
		F(slist_append, "curl_slist_append"),
		F(slist_free_all, "curl_slist_free_all"),
		F(getdate, "curl_getdate"),
		F(multi_init, "curl_multi_init"),
		F(multi_setopt, "curl_multi_setopt"),
		F(multi_add_handle, "curl_multi_add_handle"),
		F(multi_remove_handle, "curl_multi_remove_handle"),
		F(multi_perform, "curl_multi_perform"),
		F(multi_poll, "curl_multi_poll"),
		F(multi_wakeup, "curl_multi_wakeup"),
		F(multi_info_read, "curl_multi_info_read"),
		F(multi_cleanup, "curl_multi_cleanup"),
#undef F
	};
	void *lib;
	size_t i;

	if ((lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL)) == NULL)
		errx(EX_SOFTWARE, "cannot load libcurl: %s", dlerror());
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		*(void **)((char *)&curl_fns + t[i].off) = sym(lib, t[i].name);
	/* once, before any thread has a handle (curl_global_init(3)) */
	if (curl_fns.global_init(CURL_GLOBAL_DEFAULT) != 0)
		errx(EX_SOFTWARE, "cannot start libcurl");
}

void
curl_load(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, load);
}
