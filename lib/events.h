/* events: an event's identity and ownership: the ids a client gives
 * (derived from keys, Google's rule), the owner mark, what of it may be
 * written to Google and what shape it must have (gcal-records(5)). */
#ifndef GCAL_EVENTS_H
#define GCAL_EVENTS_H

#include <stddef.h>

#include <jv.h>

/* Until every caller names them (the modules being split from the
 * programs include only this header), the two other event modules come
 * with it: event_time (times as instants), event_norm (what counts). */
#include "event_norm.h"
#include "event_time.h"

/* Why ev is not shaped like an Event resource (a field Google gives as a
 * string, object or array holding another kind; null counts as absent),
 * or NULL when it is; static text. Borrows ev. */
const char *event_check(jv ev);

/* The owner mark, in extendedProperties.private. */
#define EVENT_OWNER_PROP "gcalOwner"
#define EVENT_KEY_PROP "gcalKey"
/* The key as canonical JSON text, for keys of any JSON type (gcal-sync). */
#define EVENT_KEY_JSON_PROP "gcalKeyJson"
/* The field naming an event's calendar; never sent to Google. */
#define EVENT_CALENDAR_FIELD "gcal_calendar"

/* The event id for a local key: lowercase base32hex (RFC 4648 "extended
 * hex", 0-9a-v) of SHA-256(owner "\n" key), 52 characters. The caller's. */
char *event_id_for_key(const char *owner, const char *key);
/* The same for a key of any JSON type: a string as event_id_for_key,
 * anything else from its canonical JSON text (so 1 and "1" differ).
 * Borrows key; the result is the caller's. */
char *event_id_for_json(const char *owner, jv key);

/* Does id follow Google's rule for ids a client gives (Events resource,
 * "id": base32hex a-v0-9, 5 to 1024 characters)? */
int event_id_ok(const char *id);
/* The same for the len bytes at id. */
int event_id_okn(const char *id, size_t len);
/* The id an insert of an event with id sends: id itself when Google takes
 * it, else the derived id of id as a key (event_id_for_key): Gmail's
 * "_..." ids, split series' "_R..." ids; for an instance's
 * "SERIES_20170901T090000Z", of the id the instance has in the series'
 * copy. Updates and deletes keep an event's real id. The caller's. */
char *event_insert_id(const char *owner, const char *id);
/* The id of the instance suffix ("20170901T090000Z") of the copy of the
 * recurring event series (its insert id). The caller's. */
char *event_instance_id(const char *owner, const char *series,
    const char *suffix);
/* When ev is a modified instance of a series (its id is its
 * recurringEventId, '_' and an instance suffix), the suffix; else NULL.
 * Borrowed from ev. */
const char *event_copy_instance(jv ev);
/* The owner in ev's mark, else EVENT_DEFAULT_OWNER; borrowed. */
const char *event_owner(jv ev);
#define EVENT_DEFAULT_OWNER "gcal"
/* Why Google refuses to have ev written (insert: created) into a
 * calendar (primary or not) for its eventType, or NULL; static text.
 * Borrows ev. */
const char *event_refusal(jv ev, int insert, int primary);

/* Is ev deleted ("status":"cancelled", as the sync feed says)? Borrows. */
int event_cancelled(jv ev);

/* Is ev marked as owned by owner? Borrows ev. */
int event_owned(jv ev, const char *owner);
/* The key of ev's owner mark, or NULL; borrowed from ev. */
const char *event_mark_key(jv ev);
/* ev with only the fields a client may write to Google (no etag,
 * updated, creator..., no gcal_calendar, no local fields); consumes ev. */
jv event_writable(jv ev);
/* ev with the owner mark merged into extendedProperties.private (key may
 * be NULL: the key already there stays); consumes ev. */
jv event_mark(jv ev, const char *owner, const char *key);
/* ev with keyjson (canonical JSON text) in the mark; consumes ev. */
jv event_mark_json(jv ev, const char *keyjson);

#endif
