/* stop: a test knob that ends a program at its Nth mutation point.
 *
 * A mutation point is any step after which a kill leaves a different
 * state behind: a state file replaced, a write sent to Google or a
 * backend. With $GCAL_STOP_AFTER=N the Nth point reached ends the
 * program there as kill -9 would (no cleanup, no flush of stdio). With
 * $GCAL_STOP_TRACE=FILE each point appends "PROGRAM POINT" to FILE, so a
 * test can count a run's points and then stop at each in turn; the
 * points are then counted in FILE, across the programs of a run that
 * share it (gcal-sync and the gcal-pull and gcal-push it runs), so N is
 * the line FILE would get: give each run a new FILE. Without a trace
 * each process counts its own. Every state_write and state_remove is a
 * point; the programs add their writes to Google and to backends. */
#ifndef GCAL_STOP_H
#define GCAL_STOP_H

/* Mark a mutation point; what names it ("state.json", "batch"...). */
void stop_point(const char *what);
/* Whether a stop is asked for at all (a program may then skip work
 * that only speeds it up). */
int stop_armed(void);

#endif
