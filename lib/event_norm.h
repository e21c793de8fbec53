/* event_norm: what counts in an event: the normal form two copies are
 * compared in, and one copy's fields that count taken into another
 * (the list of gcal-records(5)). */
#ifndef GCAL_EVENT_NORM_H
#define GCAL_EVENT_NORM_H

#include <jv.h>

/* The fields that count, normalised (defaults Google fills in dropped,
 * times as instants, attendees and reminder overrides as sorted sets, the
 * owner mark left out); consumes ev. */
jv event_normalize(jv ev);
/* Are a and b the same event for a user? Borrows both. */
int event_same(jv a, jv b);
/* remote with each field that counts taken from local (set when local has
 * it, removed when not); attendees keep what remote knows of them
 * (responseStatus, ...); the owner mark stays. Consumes remote, borrows
 * local. */
jv event_apply(jv remote, jv local);

#endif
