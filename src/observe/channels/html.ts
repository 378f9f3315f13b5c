/**
 * @module observe/channels/html
 * The HTML body of an email: the rendered notification as a plain table-based page with
 * inline styles (mail clients drop `<style>` and scripts). Every text is escaped — alert
 * summaries, labels and errors are user data — and only http(s) links become `href`s.
 */
import type { RenderedNotification } from './render.js';

/** `text` safe inside HTML text and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

const FONT = 'font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#1f2328';

/** The HTML document of a rendered notification. */
export function renderHtml(r: RenderedNotification): string {
  const colour = r.resolved ? '#1a7f37' : '#cf222e';
  const parts = [
    '<!doctype html><html><head><meta charset="utf-8"><title>', escapeHtml(r.subject), '</title></head>',
    `<body style="${FONT}">`,
    `<p style="font-size:16px;font-weight:600;color:${colour}">`, escapeHtml(r.headline), '</p>',
  ];
  for (const s of r.sections) {
    parts.push('<table cellpadding="4" cellspacing="0" style="border-left:3px solid ', colour, ';margin:12px 0">');
    parts.push('<tr><td colspan="2" style="font-weight:600">', escapeHtml(s.title), '</td></tr>');
    for (const f of s.fields) {
      parts.push('<tr><td style="color:#59636e;vertical-align:top">', escapeHtml(f.label), '</td><td>', escapeHtml(f.value), '</td></tr>');
    }
    const link = href(s.url);
    if (link) parts.push('<tr><td colspan="2"><a href="', link, '">Open in baton</a></td></tr>');
    parts.push('</table>');
  }
  if (r.omitted > 0) parts.push('<p>… and ', String(r.omitted), ' more.</p>');
  const dashboard = href(r.url);
  if (dashboard) parts.push('<p><a href="', dashboard, '">Open the dashboard</a></p>');
  parts.push('</body></html>');
  return parts.join('');
}

/** The URL escaped for an `href`, when it is http(s); anything else (`javascript:`) is not linked. */
function href(url: string | undefined): string | undefined {
  return url !== undefined && /^https?:\/\//i.test(url) ? escapeHtml(url) : undefined;
}
