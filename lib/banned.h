/* banned: the C library calls the house never makes, refused by the compiler.
 * The Makefile puts it before every file of lib/, cmd/ and tests/ with
 * -include, so new files get it without an edit. In the manner of git's
 * banned.h, but with #pragma GCC poison: any later mention of a name is an
 * error ("attempt to use poisoned"), a call or a function pointer alike.
 *
 * Poison also fires in headers read after it, so the headers that declare
 * these names are read first, here; their include guards keep them from
 * being read again. What to use instead:
 *   strcpy strcat strncpy strncat  strlcpy/strlcat (libbsd) with a
 *                                  truncation check, or struct buf, xstrdup
 *   sprintf vsprintf               snprintf, xasprintf, buf_printf
 *   strtok strtok_r                strsep, or strspn/strcspn
 *   atoi atol atoll                strtonum (libbsd), cli_number
 *   gets                           getline
 *   localtime gmtime ctime asctime localtime_r, gmtime_r, time_rfc3339,
 *                                  lib/zone.h for another zone
 *   tmpnam mktemp                  mkstemp, mkdtemp
 *   setenv("TZ", ...)              lib/zone.h (TZ is process-wide and
 *                                  setenv is not thread-safe) */
#ifndef GCAL_BANNED_H
#define GCAL_BANNED_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#pragma GCC poison strcpy strcat strncpy strncat
#pragma GCC poison sprintf vsprintf
#pragma GCC poison strtok strtok_r
#pragma GCC poison atoi atol atoll
#pragma GCC poison gets
#pragma GCC poison localtime gmtime ctime asctime
#pragma GCC poison tmpnam mktemp

/* setenv(3) stays for other names (gcal-watch passes GCAL_PROFILE to its
 * children): only the literal "TZ" is refused. The test folds to a
 * constant even at -O0, so the call to the undefined function below is
 * dropped unless the name is "TZ", and GCC's error attribute reports it. */
extern int banned_setenv_tz(void)
    __attribute__((error("setenv(\"TZ\") is banned (lib/banned.h): use lib/zone.h")));
#define setenv(name, value, overwrite) \
	(__builtin_constant_p(name) && __builtin_strcmp((name), "TZ") == 0 ? \
	    banned_setenv_tz() : (setenv)((name), (value), (overwrite)))

#endif
