/* linkcal: the calendars a profile's link can choose from, on either
 * provider: prove the link, list them, read one, create one without ever
 * making two. Google's calendarList entries are the shape; a Microsoft
 * calendar (Graph's /me/calendars) is shown as {"id", "summary" (its
 * name), "accessRole" ("owner" when canEdit, else "reader"), "primary"
 * (its isDefaultCalendar, only when true), "backgroundColor" (hexColor)}.
 * Every function prints its own one-line diagnostic and returns an exit
 * status (0 on success). */
#ifndef GCAL_LINKCAL_H
#define GCAL_LINKCAL_H

#include <jv.h>

/* A refresh (it proves the grant) and a read of one calendar (it proves
 * the scopes). prof is the profile's profile.json, borrowed. */
int linkcal_check(const char *profile, jv prof);

/* Call fn for each calendar (borrowed; fn copies what it keeps). */
int linkcal_list(const char *profile, jv prof, int (*fn)(jv cal, void *arg),
    void *arg);

/* The calendar id in *cal (the caller's); 65 when the account has none
 * such. */
int linkcal_get(const char *profile, jv prof, const char *id, jv *cal);

/* Create a secondary calendar named name (time_zone, an IANA name, for
 * Google only; NULL for the account's) into *cal (the caller's). A retry
 * after a lost answer finds the calendar made instead of making a
 * second. */
int linkcal_create(const char *profile, jv prof, const char *name,
    const char *time_zone, jv *cal);

#endif
