"""make bench's baseline for a full pull: what a short script would do.

Every page of a calendar's events (urllib, gzip, the standard json
module), then one line per event, sorted by id, keys sorted. The access
token comes on stdin, never in argv. Usage: python3 naive-pull.py CALENDAR
with GCAL_ENDPOINT set.
"""
import gzip
import json
import os
import sys
import urllib.parse
import urllib.request


def main():
    base = os.environ['GCAL_ENDPOINT'].rstrip('/')
    cal = urllib.parse.quote(sys.argv[1], safe='')
    token = sys.stdin.readline().strip()
    events, page = {}, None
    while True:
        query = {'maxResults': '2500'}
        if page:
            query['pageToken'] = page
        req = urllib.request.Request(
            '%s/calendar/v3/calendars/%s/events?%s' % (base, cal, urllib.parse.urlencode(query)),
            headers={'Authorization': 'Bearer ' + token, 'Accept-Encoding': 'gzip'})
        with urllib.request.urlopen(req) as r:
            body = r.read()
            if r.headers.get('Content-Encoding') == 'gzip':
                body = gzip.decompress(body)
        doc = json.loads(body)
        for ev in doc.get('items', []):
            events[ev['id']] = ev
        page = doc.get('nextPageToken')
        if not page:
            break
    out = sys.stdout
    for i in sorted(events):
        out.write(json.dumps(events[i], sort_keys=True, separators=(',', ':'), ensure_ascii=False) + '\n')


main()
