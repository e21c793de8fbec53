/* The fuzz corpora (tests/fuzz/corpus/TARGET/), seeds and every crash
 * fuzzing found, replayed through each target's entry point with the
 * normal compiler: make check needs no clang, and a fixed crash stays
 * fixed. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>

#define FUZZ_ENTRY fuzz_batch
#include "../fuzz/batch.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_cassette
#include "../fuzz/cassette.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_event
#include "../fuzz/event.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_google
#include "../fuzz/google.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_lines
#include "../fuzz/lines.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_ndjson
#include "../fuzz/ndjson.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_phone
#include "../fuzz/phone.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_redirect
#include "../fuzz/redirect.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_time
#include "../fuzz/time.c"
#undef FUZZ_ENTRY
#define FUZZ_ENTRY fuzz_zone
#include "../fuzz/zone.c"
#undef FUZZ_ENTRY

#include "tap.h"

static const struct {
	const char *name;
	int (*entry)(const uint8_t *, size_t);
} targets[] = {
	{"batch", fuzz_batch}, {"cassette", fuzz_cassette}, {"event", fuzz_event},
	{"google", fuzz_google}, {"lines", fuzz_lines}, {"ndjson", fuzz_ndjson},
	{"phone", fuzz_phone}, {"redirect", fuzz_redirect}, {"time", fuzz_time},
	{"zone", fuzz_zone},
};

/* The corpus directory: tests/fuzz/corpus from the project root (where
 * make check runs), else found from this binary (BUILD/unit/NAME). */
static char *
corpus_dir(void)
{
	char exe[PATH_MAX], *p;
	ssize_t n;
	struct stat st;

	if (stat("tests/fuzz/corpus", &st) == 0)
		return xstrdup("tests/fuzz/corpus");
	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return NULL;
	exe[n] = '\0';
	for (int up = 0; up < 3 && (p = strrchr(exe, '/')) != NULL; up++)
		*p = '\0';
	return xasprintf("%s/tests/fuzz/corpus", exe);
}

static int
replay(const char *path, int (*entry)(const uint8_t *, size_t))
{
	struct buf b = {0};
	char chunk[65536];
	size_t got;
	FILE *fp = fopen(path, "rb");

	if (fp == NULL)
		return -1;
	while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		buf_add(&b, chunk, got);
	fclose(fp);
	/* an exact-size copy, so ASan sees a read past the end */
	uint8_t *data = b.len ? memcpy(xmalloc(b.len), b.data, b.len) : NULL;
	entry(data ? data : (const uint8_t *)"", b.len);
	free(data);
	buf_free(&b);
	return 0;
}

int
main(void)
{
	char *top = corpus_dir(), *dir, *path;
	struct dirent *de;
	size_t i, n;
	DIR *d;

	ok(top != NULL, "the corpus directory is found");
	for (i = 0; top && i < sizeof(targets) / sizeof(targets[0]); i++) {
		dir = xasprintf("%s/%s", top, targets[i].name);
		n = 0;
		if ((d = opendir(dir)) != NULL) {
			while ((de = readdir(d)) != NULL) {
				if (de->d_name[0] == '.')
					continue;
				path = xasprintf("%s/%s", dir, de->d_name);
				if (replay(path, targets[i].entry) == 0)
					n++;
				free(path);
			}
			closedir(d);
		}
		ok(n > 0, "%s: %zu corpus files replay without a crash",
		    targets[i].name, n);
		free(dir);
	}
	free(top);
	unlink(fuzz_file((const uint8_t *)"", 0));
	return done_testing();
}
