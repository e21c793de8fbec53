/* graph_html: the text a reader sees of an HTML body (Outlook's). */
#ifndef GCAL_GRAPH_HTML_H
#define GCAL_GRAPH_HTML_H

/* Text of an HTML body: tags dropped (and what <head>, <style> and
 * <script> hold), <br> and block edges as line breaks, entities decoded,
 * blank runs squeezed; the caller's. */
char *graph_html_text(const char *html);

#endif
