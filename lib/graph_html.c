#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "graph_html.h"
#include "util.h"

/* Outlook writes bodies as HTML. The text is what a reader sees: tags
 * dropped (with what <head>, <style> and <script> hold), a line break for
 * <br> and for the end of a block, the entities of HTML's common set and
 * numeric ones decoded, trailing blanks and runs of blank lines squeezed.
 * The way back is a text body (contentType "text"), or the original HTML
 * while its text is still the record's description. */

static const struct {
	const char *name;
	const char *text;
} entities[] = {
	{"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"},
	{"nbsp", " "}, {"#39", "'"},
};

/* Tags that end a line: <br> is a line break of its own, the edges of a
 * block are one between them however many meet ('\v' until squeezed). */

static const char *const blocks[] = {"p", "/p", "div", "/div", "tr",
    "/tr", "li", "/li", "h1", "h2", "h3", "/h1", "/h2", "/h3", "table",
    "/table", NULL};

/* An entity at p (after '&'): its text added to b, bytes used, or 0. */
static size_t
entity(struct buf *b, const char *p)
{
	const char *semi = strchr(p, ';');
	char name[12], *end;
	unsigned long cp;
	size_t i, n;

	if (semi == NULL || (n = semi - p) == 0 || n >= sizeof(name))
		return 0;
	memcpy(name, p, n);
	name[n] = '\0';
	for (i = 0; i < sizeof(entities) / sizeof(*entities); i++)
		if (strcmp(name, entities[i].name) == 0) {
			buf_adds(b, entities[i].text);
			return n + 1;
		}
	if (name[0] != '#')
		return 0;
	cp = name[1] == 'x' || name[1] == 'X' ? strtoul(name + 2, &end, 16) :
	    strtoul(name + 1, &end, 10);
	if (*end != '\0' || cp == 0 || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp < 0x80)
		buf_addc(b, (char)cp);
	else if (cp < 0x800)
		buf_printf(b, "%c%c", (int)(0xc0 | cp >> 6),
		    (int)(0x80 | (cp & 0x3f)));
	else if (cp < 0x10000)
		buf_printf(b, "%c%c%c", (int)(0xe0 | cp >> 12),
		    (int)(0x80 | (cp >> 6 & 0x3f)), (int)(0x80 | (cp & 0x3f)));
	else
		buf_printf(b, "%c%c%c%c", (int)(0xf0 | cp >> 18),
		    (int)(0x80 | (cp >> 12 & 0x3f)),
		    (int)(0x80 | (cp >> 6 & 0x3f)), (int)(0x80 | (cp & 0x3f)));
	return n + 1;
}

/* The end of the tag at p ('<'), past the content of the elements whose
 * content is no text. */
static const char *
skip_tag(const char *p, struct buf *b)
{
	static const char *const hidden[] = {"head", "style", "script", NULL};
	const char *end = strchr(p, '>');
	char name[16], close[20];
	size_t n = strcspn(p + 1, " \t\r\n/>");
	const char *const *h;

	if (end == NULL)
		return p + strlen(p);
	if (p[1] == '/' )
		n = 1 + strcspn(p + 2, " \t\r\n>");
	if (n < sizeof(name)) {
		memcpy(name, p + 1, n);
		name[n] = '\0';
		for (size_t i = 0; i < n; i++)
			name[i] = (char)tolower((unsigned char)name[i]);
		if (strcmp(name, "br") == 0 || strcmp(name, "br/") == 0)
			buf_addc(b, '\n');
		else if (str_in_list(blocks, name))
			buf_addc(b, '\v');
		for (h = hidden; *h; h++)
			if (strcmp(name, *h) == 0) {
				snprintf(close, sizeof(close), "</%s", *h);
				if ((end = strcasestr(end, close)) == NULL)
					return p + strlen(p);
				end = strchr(end, '>');
				return end ? end + 1 : p + strlen(p);
			}
	}
	return end + 1;
}

/* Squeeze: no blanks before a line break, at most one empty line, none
 * at either end. */
static char *
squeeze(const char *s)
{
	struct buf b = {0};
	size_t nl = 0, sp = 0, soft = 0;
	const char *p;

	for (p = s; *p; p++) {
		if (*p == '\n')
			nl++;
		else if (*p == '\v')
			soft = 1;
		else if (*p == ' ' || *p == '\t' || *p == '\r')
			sp++;
		else {
			if (nl == 0 && soft)
				nl = 1;
			if (b.len > 0 && nl > 0)
				buf_adds(&b, nl > 1 ? "\n\n" : "\n");
			else if (b.len > 0 && sp > 0)
				buf_addc(&b, ' ');
			nl = sp = soft = 0;
			buf_addc(&b, *p);
		}
	}
	return buf_take(&b);
}

char *
graph_html_text(const char *html)
{
	struct buf b = {0};
	const char *p = html;
	char *raw, *out;
	size_t n;

	while (*p) {
		if (*p == '<')
			p = skip_tag(p, &b);
		else if (*p == '&' && (n = entity(&b, p + 1)) > 0)
			p += n + 1;
		else if (*p == '\n' || *p == '\r' || *p == '\t')
			buf_addc(&b, ' '), p++; /* HTML white space */
		else
			buf_addc(&b, *p++);
	}
	raw = buf_take(&b);
	out = squeeze(raw);
	free(raw);
	return out;
}
