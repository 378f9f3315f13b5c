/**
 * @module cli/csv
 * CSV as RFC 4180 writes it: fields separated by commas, records ended by CRLF, and a field
 * that holds a comma, a double quote, a CR or an LF (or starts or ends with a space, which
 * some readers trim) enclosed in double quotes with each quote doubled. No CSV library is
 * among baton's dependencies (the ones under node_modules come with dev tools only), and
 * writing is this small.
 * @see https://www.rfc-editor.org/rfc/rfc4180 (section 2: definition of the CSV format)
 */

/** A field's value: text as is, numbers in JavaScript's shortest form, absent values empty. */
export type CsvValue = string | number | boolean | null | undefined;

/** One field, quoted when RFC 4180 requires it. */
export function csvField(v: CsvValue): string {
  if (v === null || v === undefined) return '';
  const text = typeof v === 'string' ? v : String(v);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One record, CRLF-terminated. */
export function csvRecord(values: readonly CsvValue[]): string {
  return values.map(csvField).join(',') + '\r\n';
}

/** A time as CSV shows it: ISO 8601 in UTC (`2026-11-21T23:05:09.000Z`), empty when absent. */
export function csvTime(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString();
}
