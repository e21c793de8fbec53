# The rules of examples/scenario-2-visitors.sh: which events are visits,
# which site each is at, what the organiser is told when the site is
# unknown, and which notifications go out. An operator replaces them with
# VISITOR_RULES=FILE (a copy of this file, changed).
#
# Run as: jq -n --argjson link VISITORS.JSON --slurpfile events E --slurpfile known K
#   $link    the link's settings: invite, sites, default_site, calendars
#   $events  every event of the calendars now (gcal-pull --expand)
#   $known   what the previous run knew (its "known" output)
# Output: one object, {notify: [records to print], known: [for next run]}.

# The mark: the product's invite address is among the guests.
def marked:
	($link.invite | ascii_downcase) as $i
	| any(.attendees[]?; (.email // "" | ascii_downcase) == $i);

# The code rule: a location that is one word of 2 to 10 letters and
# digits is a site code, in any case ("anhq" is ANHQ); an empty location,
# or one of several words (an address, a room), means the default site.
def code:
	(.location // "" | sub("^\\s+"; "") | sub("\\s+$"; "")) as $l
	| if $l | test("^[A-Za-z0-9]{2,10}$") then $l | ascii_upcase else null end;
def site: code // $link.default_site;
def known_site: site as $s | $link.sites | index($s) != null;

# The key of an event: its calendar and its id (instances have their own).
def key: "\(.gcal_calendar // $link.calendars[0])/\(.id)";

# The notice, for the organiser, when the code names no site.
def notice:
	{type: "notice", key: key, id, calendar: (.gcal_calendar // $link.calendars[0]),
	 to: (.creator.email // .organizer.email), summary, code: site, valid: $link.sites,
	 message: "Unknown location code \(site) in \"\(.summary // "")\"; valid codes: \($link.sites | join(", "))"};

# A visit as the product keeps it; two runs compare these.
def visit:
	($link.invite | ascii_downcase) as $i
	| {key: key, id, calendar: (.gcal_calendar // $link.calendars[0]), summary, site: site,
	   start: (.start.dateTime // .start.date), end: (.end.dateTime // .end.date),
	   organizer: (.organizer.email // null),
	   guests: ([.attendees[]? | .email // empty | select(ascii_downcase != $i)] | sort)};

def note($change): . + {type: "visit", change: $change,
	notification_id: "\(.key)/\($change)/\(.start)/\(.end)/\(.site)"};

# The event id of what a run knew (records of older runs lack .id: it
# ends the key).
def known_id: .id // (.key | sub("^.*/"; ""));

# What the previous run knew: {key: {visit, notice}}
(reduce $known[] as $k ({}; .[$k.key] = $k)) as $old
| [$events[] | select(.status != "cancelled" and marked)] as $marked
| [$marked[] | key] as $live
# A visit moved to another linked calendar (events.move keeps the id) is
# gone from one and new in the other: the same visit, by its id, "moved"
# only when its time or site changed too.
| (reduce ($known[] | select(.key as $k | $live | index($k) | not)) as $k
	({}; .[$k | known_id] = $k)) as $gone
| [$marked[] | select($old[key] == null and $gone[.id] != null) | .id] as $moved
| [$marked[] | . as $e | ($old[key] // $gone[.id]) as $o
   | if known_site then
	visit as $v
	| {key: $v.key, id, visit: $v, notice: null,
	   out: (if $o.visit == null then [$v | note("created")]
		 elif [$o.visit | .start, .end, .site] != [$v.start, $v.end, $v.site]
		 then [$v + {previous: ($o.visit | {start, "end": .end, site, calendar})} | note("moved")]
		 else [] end)}
     else
	# an unknown code: the visit stays as it was, the organiser is told
	# once per code
	{key: key, id, visit: $o.visit, notice: site,
	 out: (if $o.notice == site then [] else [$e | notice
		| . + {notification_id: "\(.key)/notice/\(.code)"}] end)}
     end] as $now
| {notify: ([$now[].out[]]
	+ [$known[] | select(.visit != null) | .key as $k
	   | select($live | index($k) | not)
	   | select(known_id as $i | $moved | index($i) | not)
	   | .visit | note("cancelled")]),
   known: [$now[] | select(.visit != null or .notice != null) | del(.out)]}
