import { describe, expect, it } from 'vitest';
import { csvField, csvRecord, csvTime } from './csv.js';
import { parseCsv } from '../../test/csv-reader.js';


describe('CSV (RFC 4180)', () => {
  it('quotes only the fields that need it', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('line 1\nline 2')).toBe('"line 1\nline 2"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField(' padded ')).toBe('" padded "');
    expect(csvField('"')).toBe('""""');
    expect(csvField('')).toBe('');
    expect(csvField(undefined)).toBe('');
    expect(csvField(null)).toBe('');
    expect(csvField(38.5)).toBe('38.5');
    expect(csvField(0)).toBe('0');
    expect(csvField(false)).toBe('false');
  });

  it('round-trips commas, quotes, CR, LF, CRLF and empty fields through an RFC 4180 reader', () => {
    const rows = [
      ['run_id', 'error', 'note'],
      ['r1', 'exit 1, then "boom"', ''],
      ['r2', 'multi\nline\r\nerror', ' lead'],
      ['r3', '""', ',,,'],
      ['', 'é ✓ \u0000', 'trail '],
    ];
    const text = rows.map((r) => csvRecord(r)).join('');
    expect(text.endsWith('\r\n')).toBe(true);
    expect(parseCsv(text)).toEqual(rows);
  });

  it('writes times as ISO 8601 UTC', () => {
    expect(csvTime(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(csvTime(undefined)).toBe('');
  });
});
