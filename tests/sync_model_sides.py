"""sync_model_sides.py: the remote side of tests/sync_model.py, one adapter per provider.

The model speaks Google's event shape (gcal-records(5)): an adapter lists
the calendar's events in that shape, each under the identity the model
gives it (its id; on Graph, an event gcal-sync made for a local key is
named by the id that key derives, the same name as the local record's),
acts as the calendar's owner (create, edit, move, delete, an event of
another link), and arms the provider's faults.  Standard library only.
"""
import base64
import datetime as dt
import hashlib
import json
import re
import urllib.request
from zoneinfo import ZoneInfo

OWNER = "gcal"
# lib/graph_map.h: the String property gcal's marks travel in
GRAPH_PROP = "String {8c5bd5a0-2f9e-4f7b-9c3e-6a1d0e7f4b21} Name gcal.private"


def canon(v):
    return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def key_id(key):
    """The event id gcal-sync derives for a local key (event_id_for_json)."""
    if isinstance(key, str):
        data = (OWNER + "\n" + key).encode()
    else:
        data = (OWNER + "\n").encode() + b"\0" + canon(key).encode()
    b32 = base64.b32encode(hashlib.sha256(data).digest()).decode()
    std = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    hexa = "0123456789abcdefghijklmnopqrstuv"
    return "".join(hexa[std.index(c)] for c in b32.rstrip("="))


def is_instance(ident):
    """Is ident an instance's (series id, underscore, original start)?
    Graph's ids hold underscores of their own."""
    return re.search(r"_\d{8}T\d{6}Z$", ident) is not None


class Emu:
    """An emulator's control API (/_emu/...)."""

    def __init__(self, url):
        self.url = url

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read().decode()
        return text

    def json(self, method, path, body=None):
        t = self.call(method, path, body)
        return json.loads(t) if t.strip() else None

    def ndjson(self, path):
        return [json.loads(l) for l in self.call("GET", path).splitlines() if l.strip()]


class GoogleSide:
    """Google Calendar through gemu: its events are already the model's shape."""
    name = "google"
    series = True
    lists_cancelled = True  # a cancelled exception is listed, always

    def __init__(self, url, cal):
        self.emu = Emu(url)
        self.cal = cal
        self.path = "/_emu/calendars/%s/events" % cal

    def events(self):
        return self.emu.ndjson(self.path)

    def aliases(self, ident):
        return {ident}

    def create(self, ev, rng=None):
        return self.emu.json("POST", self.path, ev)

    def patch(self, ident, body, rng=None):
        self.emu.call("PATCH", self.path + "/" + ident, body)

    def delete(self, ident):
        self.emu.call("DELETE", self.path + "/" + ident)

    def clear_faults(self):
        self.emu.call("DELETE", "/_emu/faults")

    def storm_5xx(self, times, rng):
        self.emu.json("POST", "/_emu/faults", {"path": "^/batch", "status": 503, "times": times})

    def storm_429(self, times, rng):
        self.emu.json("POST", "/_emu/faults", {"path": "/events", "status": 429,
                                                 "times": times, "retry_after": 0})

    def drop_after(self):
        self.emu.json("POST", "/_emu/faults", {"path": "^/batch", "action": "drop_after",
                                                 "status": 200, "times": 1})

    def sync_token_410(self, rng):
        self.emu.json("POST", "/_emu/synctokens/invalidate", {"calendar": self.cal})


class GraphSide:
    """Microsoft Graph through memu, the owner acting in Outlook.

    Events are shown as gcal-records(5) map them: subject as summary, the
    instant of start and end (memu keeps times to the microsecond; the
    model's are whole hours), isCancelled as status, gcal's marks (its
    extended property, else the transactionId a create gave) as
    extendedProperties.private.  The owner writes times in one of a few
    mailbox zones, so the zone mapping takes part in every round trip.
    """
    name = "microsoft"
    series = True
    # Graph v1.0 lists no cancelled occurrence (calendarView and instances
    # leave it out; cancelledOccurrences is beta only): one deleted before
    # any pull listed it is never seen (gcal-pull(1), gcal-records(5))
    lists_cancelled = False
    ZONES = ("UTC", "W. Europe Standard Time", "India Standard Time",
             "Pacific Standard Time")
    IANA = {"UTC": "UTC", "W. Europe Standard Time": "Europe/Berlin",
            "India Standard Time": "Asia/Kolkata",
            "Pacific Standard Time": "America/Los_Angeles"}

    def __init__(self, url, cal):
        self.emu = Emu(url)
        self.cal = cal
        self.path = "/_emu/calendars/%s/events" % cal
        self.gid = {}      # identity -> Graph's immutable id
        self.names = {}    # identity -> every id Graph gave it
        self.nforeign = 0

    @staticmethod
    def marks(g):
        for p in g.get("singleValueExtendedProperties") or []:
            if p.get("id", "").lower() == GRAPH_PROP.lower():
                return json.loads(p["value"])
        t = g.get("transactionId") or ""
        return json.loads(t[5:]) if t.startswith("gcal {") else {}

    def shape(self, g):
        m = self.marks(g)
        if m.get("gcalOwner") == OWNER and "gcalKeyJson" in m:
            ident = key_id(json.loads(m["gcalKeyJson"]))
        else:
            ident = g["immutableId"]
        self.gid[ident] = g["immutableId"]
        self.names.setdefault(ident, set()).update((g["immutableId"], g["id"]))
        ev = {"id": ident, "etag": g["changeKey"],
              "status": "cancelled" if g.get("isCancelled") else "confirmed"}
        if g.get("subject"):
            ev["summary"] = g["subject"]
        for which in ("start", "end"):
            t = g[which]["dateTime"][:19]
            ev[which] = {"date": t[:10]} if g.get("isAllDay") else {"dateTime": t + "Z"}
        if m:
            ev["extendedProperties"] = {"private": m}
        return ev

    DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")

    def rrule(self, rec):
        """A weekly pattern as gcal-records(5) gives it (lib/graph_rrule.c)."""
        p, r = rec["pattern"], rec["range"]
        rule = "RRULE:FREQ=WEEKLY"
        if p.get("interval", 1) > 1:
            rule += ";INTERVAL=%d" % p["interval"]
        rule += ";BYDAY=" + ",".join(d[:2].upper() for d in p["daysOfWeek"])
        if p.get("firstDayOfWeek", "sunday") != "monday":
            rule += ";WKST=" + p.get("firstDayOfWeek", "sunday")[:2].upper()
        if r["type"] == "numbered":
            rule += ";COUNT=%d" % r["numberOfOccurrences"]
        return [rule]

    def instances(self, g, master):
        """A series' exceptions and deleted occurrences as Google's instances."""
        out = []
        for x in g.get("exceptions") or []:
            orig = x["originalStart"]
            iid = master["id"] + "_" + orig.replace("-", "").replace(":", "")
            ev = {"id": iid, "recurringEventId": master["id"], "etag": x["changeKey"],
                  "status": "confirmed", "originalStartTime": {"dateTime": orig}}
            if x.get("subject"):
                ev["summary"] = x["subject"]
            for which in ("start", "end"):
                ev[which] = {"dateTime": x[which]["dateTime"][:19] + "Z"}
            self.gid[iid] = x["id"]
            out.append(ev)
        for orig in g.get("cancelledOccurrences") or []:
            out.append({"id": master["id"] + "_" + orig, "recurringEventId": master["id"],
                        "status": "cancelled"})
        return out

    def events(self):
        out = []
        for g in self.emu.ndjson(self.path + "?full=1"):
            ev = self.shape(g)
            out.append(ev)
            if g.get("recurrence"):
                ev["recurrence"] = self.rrule(g["recurrence"])
                out += self.instances(g, ev)
        return out

    def aliases(self, ident):
        return {ident} | self.names.get(ident, set())

    def graph_time(self, when, zone):
        t = dt.datetime.strptime(when["dateTime"], "%Y-%m-%dT%H:%M:%SZ")
        t = t.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(self.IANA[zone]))
        return {"dateTime": t.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": zone}

    def body(self, ev, rng):
        zone = rng.choice(self.ZONES) if rng else "UTC"
        g = {}
        if ev.get("recurrence"):
            # the model's series: weekly on the start's day, in UTC
            m = re.match(r"RRULE:FREQ=WEEKLY;COUNT=(\d+)$", ev["recurrence"][0])
            day = dt.date.fromisoformat(ev["start"]["dateTime"][:10])
            zone = "UTC"
            g["recurrence"] = {
                "pattern": {"type": "weekly", "interval": 1,
                            "daysOfWeek": [self.DAYS[(day.weekday() + 1) % 7]],
                            "firstDayOfWeek": rng.choice(["monday", "sunday"]) if rng
                            else "monday"},
                "range": {"type": "numbered", "startDate": day.isoformat(),
                          "numberOfOccurrences": int(m.group(1))}}
        if "summary" in ev:
            g["subject"] = ev["summary"]
        for which in ("start", "end"):
            if which in ev:
                g[which] = self.graph_time(ev[which], zone)
        marks = (ev.get("extendedProperties") or {}).get("private")
        if marks and marks.get("gcalOwner") != OWNER and "gcalKey" not in marks:
            # another link's events carry keys of their own: Graph takes
            # a create repeating a live event's transactionId for a retry
            self.nforeign += 1
            marks = dict(marks, gcalKey="f%d" % self.nforeign,
                         gcalKeyJson=canon("f%d" % self.nforeign))
        if marks:
            g["transactionId"] = "gcal " + canon(marks)
            g["singleValueExtendedProperties"] = [{"id": GRAPH_PROP, "value": canon(marks)}]
        return g

    def create(self, ev, rng=None):
        g = self.emu.json("POST", self.path, self.body(ev, rng))
        return self.shape(self.emu.json("GET", "/_emu/events/" + g["id"]))

    def target(self, ident):
        """The control path of an event, or of an occurrence of a series."""
        if is_instance(ident):
            return "/_emu/events/%s/occurrences/%s" % (self.gid[ident[:-17]], ident[-16:])
        return "/_emu/events/" + self.gid[ident]

    def patch(self, ident, body, rng=None):
        self.emu.call("PATCH", self.target(ident), self.body(body, rng))

    def delete(self, ident):
        self.emu.call("DELETE", self.target(ident))

    def clear_faults(self):
        self.emu.call("DELETE", "/_emu/faults")
        self.emu.json("POST", "/_emu/config", {"throttle": None})

    def storm_5xx(self, times, rng):
        self.emu.json("POST", "/_emu/faults", {"path": r"^/v1\.0/\$batch$",
                                                 "status": rng.choice([500, 502, 503, 504]),
                                                 "times": times})

    def storm_429(self, times, rng):
        # Graph throttles the delta reads, the $batch as a whole, or
        # requests inside it (each answered 429 in the batch's answer);
        # or the mailbox's window fills (memu's throttle: the run's
        # requests beyond a few a second answer 429 with Retry-After)
        where = rng.choice(["read", "batch", "part", "window"])
        if where == "window":
            self.emu.json("POST", "/_emu/config", {"throttle": {
                "limit": rng.randint(2, 8), "window_s": 1}})
            return
        f = {"status": 429, "times": times, "retry_after": rng.choice([0, 0, 1])}
        if where == "read":
            f["path"] = "/calendarView/delta"
        elif where == "batch":
            f["path"] = r"^/v1\.0/\$batch$"
        else:
            f.update(path="/events", batch_part=True)
        self.emu.json("POST", "/_emu/faults", f)

    def drop_after(self):
        self.emu.json("POST", "/_emu/faults", {"path": r"^/v1\.0/\$batch$",
                                                 "action": "drop_after", "status": 200,
                                                 "times": 1})

    def sync_token_410(self, rng):
        self.emu.json("POST", "/_emu/delta/invalidate", {
            "calendar": self.cal, "code": rng.choice(["syncStateNotFound", "resyncRequired"])})


def side(provider, url, cal):
    return {"google": GoogleSide, "microsoft": GraphSide}[provider](url, cal)
