/* state_lock: the lock files that keep two runs of a profile apart.
 *
 * $XDG_STATE_HOME/gcal/PROFILE/lock is held for a whole run,
 * token.lock around a token refresh; flock(2), so a killed run's lock
 * goes with it. */
#ifndef GCAL_STATE_LOCK_H
#define GCAL_STATE_LOCK_H

/* Take the profile's lock file NAME ("lock" for a whole run, "token.lock"
 * around a token refresh), waiting up to timeout seconds
 * (GCAL_LOCK_TIMEOUT overrides). Returns an fd for state_unlock, or -1
 * with a message printed and *status set: EX_TEMPFAIL when another run
 * still holds it, EX_CONFIG when it is a symbolic link, EX_SOFTWARE
 * when the lock file cannot be made. */
int state_lock(const char *profile, const char *name, int timeout,
    int *status);
/* The same for any lock file path (made 0600, with its directory). */
int state_lock_path(const char *path, int timeout, int *status);
void state_unlock(int fd);

#endif
