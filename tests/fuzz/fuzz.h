/* fuzz.h: what the fuzz targets share. Each target defines FUZZ_ENTRY,
 * libFuzzer's LLVMFuzzerTestOneInput unless a file that includes several
 * targets (tests/unit/fuzz_corpus.c) renames it. */
#ifndef GCAL_FUZZ_H
#define GCAL_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#ifndef FUZZ_ENTRY
#define FUZZ_ENTRY LLVMFuzzerTestOneInput
#endif

#ifndef FUZZ_HELPERS
#define FUZZ_HELPERS
/* Debian's libjq 1.6 leaks the pending token when a value follows another
 * with no separator ('"a" "b"': "Expected separator between values", in
 * jv_parse.c value()); no caller can free it. Under a sanitizer, leaks
 * that pass through its parser are not ours to find here (valgrind in
 * tests/t/leaks.t watches the main paths). libjq has no frame pointers:
 * the slow unwinder is needed for the suppression to see its frames. */
const char *__lsan_default_suppressions(void);
const char *__asan_default_options(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:jv_parser_next\n";
}
const char *
__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0";
}

/* Write data to a per-process temporary file (reused), for parsers that
 * read a path; the path is static. */
static __attribute__((unused)) const char *
fuzz_file(const uint8_t *data, size_t size)
{
	static char path[64];
	FILE *fp;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "%s/gcal-fuzz.%ld",
		    "/tmp", (long)getpid());
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, fp) != size)
		abort();
	if (fclose(fp) != 0)
		abort();
	return path;
}

/* data as a NUL-terminated string (the caller's). */
static __attribute__((unused)) char *
fuzz_str(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);

	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}
#endif

#endif
