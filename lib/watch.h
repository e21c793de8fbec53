/* watch: a link's push notification channels (events.watch), as kept by
 * gcal-watch and read by the receiver gcal-notify.
 *
 * Two places (gcal-watch(1) says why):
 *   $XDG_STATE_HOME/gcal/PROFILE/channel.json   what Google returned for
 *       each live channel of the link (id, token, resourceId, expiration),
 *       the newest first; the others are being stopped
 *   PUSH/channels/ID      {"profile","token"[,"resourceId"]}: all the
 *                         receiver may know of a channel
 *   PUSH/channels/ID.seen the highest message number taken from it
 *   PUSH/dirty/PROFILE    the marker of a link with a pending pull
 * PUSH is $GCAL_PUSH_DIR, else $XDG_STATE_HOME/gcal/push. The receiver
 * reads channels/ and writes dirty/ and *.seen; it never sees token.json. */
#ifndef GCAL_WATCH_H
#define GCAL_WATCH_H

#include <jv.h>

#include "calendar.h"

#define WATCH_ID_MAX 64       /* Google's limit on a channel id */
#define WATCH_TOKEN_MAX 256   /* Google's limit on a channel token */

/* PUSH/sub/name (name or sub may be NULL), or NULL with errno ENOENT
 * when neither $GCAL_PUSH_DIR, $XDG_STATE_HOME nor $HOME is set; the
 * caller's. */
char *watch_push_path(const char *sub, const char *name);

/* The receiver's rule for the push directory (gcal-notify(1), FILES):
 * gcal-notify runs as the web server's user, which must be the user of
 * gcal-watch, owner of the push directory; and nobody else may write to
 * that directory, or anyone could add a channel. 0 when it holds or can
 * hold our channels (also when it is not there yet: no channel is
 * known); -1 with a one-line warning naming it and the fix otherwise. */
int watch_push_dir_usable(void);

/* 1 if s can be a channel id of ours, and so a file name: letters,
 * digits, '-', '_', at most WATCH_ID_MAX. */
int watch_valid_id(const char *s);

/* 1 when token equals want, compared in time that depends on their
 * lengths only: how much of a forged token was right is not told. */
int watch_token_equal(const char *want, const char *token);

/* Mark the link dirty: create PUSH/dirty/PROFILE if absent (coalescing
 * any number of notifications into one pending pull). 0 or -1 errno. */
int watch_mark_dirty(const char *profile);
/* Take the mark: 1 when the link was dirty (the mark is gone now, so a
 * notification from here on marks it again), 0 when not, -1 errno. */
int watch_take_dirty(const char *profile);
/* 1 when the link is marked, 0 when not. */
int watch_is_dirty(const char *profile);

/* The profile's channel.json, or an object with an empty "channels"
 * when there is none. Invalid (message printed, *rc = EX_CONFIG) when
 * damaged or of another format version. */
jv watch_load(const char *profile, int *rc);
/* Replace channel.json atomically (0600), or remove it when v has no
 * channels; consumes v. 0 or EX_SOFTWARE (said). */
int watch_save(const char *profile, jv v);

/* Ask Google to watch calendar for the link: a new random channel id and
 * token, registered for the receiver before the request (Google's sync
 * message may come before its answer). 0 and *ch (the channel as kept in
 * channel.json, the caller's), or an exit status (said; nothing left
 * registered). */
int watch_create(struct calendar_api *api, const char *profile,
    const char *calendar, const char *address, long long ttl, jv *ch);

/* Stop channel ch (borrowed) at Google and forget it for the receiver.
 * A channel Google no longer knows (404) is stopped. 0 or an exit status
 * (said; the receiver still knows the channel). */
int watch_stop_channel(struct calendar_api *api, jv ch);

/* Stop every channel of the link and remove channel.json: for gcal-watch
 * stop and gcal-revoke. api may be NULL (opened here when there is a
 * channel). A channel Google cannot be told of is forgotten locally all
 * the same when force (it expires by itself). 0 or an exit status. */
int watch_stop_all(struct calendar_api *api, const char *profile, int force);

#endif
