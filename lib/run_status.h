/* run_status: the last runs of links, for people and for monitoring.
 *
 * gcal-run status: NDJSON a link (its run.json record and its health),
 * Prometheus text for node_exporter's textfile collector, or a summary
 * for a terminal. */
#ifndef GCAL_RUN_STATUS_H
#define GCAL_RUN_STATUS_H

enum run_status_form {
	RUN_STATUS_NDJSON,
	RUN_STATUS_PROMETHEUS,
	RUN_STATUS_SUMMARY
};

/* Print the links of names (NULL-terminated) on stdout. 0, or 78 when a
 * record is damaged (said, and the link left out). */
int run_status_print(char *const *names, enum run_status_form form);

#endif
