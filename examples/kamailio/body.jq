# The --post body of forward-apply(1) for kamailio.cfg beside this file:
# one JSON-RPC call that stores the new targets of the extension in the
# htable "fwd", space separated. An empty set is stored as "" (no
# forward) rather than deleted: htable.delete fails on a key that is not
# there (after a restart of Kamailio, say), and a clear that keeps
# failing would be retried by every run.
{
  jsonrpc: "2.0",
  id: 1,
  method: "htable.sets",
  params: ["fwd", .extension, (.to | join(" "))]
}
