/**
 * An RFC 4180 CSV reader for tests, written from the RFC's grammar (section 2, ABNF) and
 * independent of baton's writer (src/cli/csv.ts): what it reads back must be exactly what
 * was written. Strict: a bare quote or LF in an unquoted field, or a record not ended by
 * CRLF, throws.
 */
/** The records of `text`, each a list of fields. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let i = 0;
  while (i < text.length) {
    const record: string[] = [];
    for (;;) {
      let field = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (text[i] === '"' && text[i + 1] === '"') {
            field += '"';
            i += 2;
          } else if (text[i] === '"') {
            i++;
            break;
          } else if (i >= text.length) {
            throw new Error('unterminated quoted field');
          } else {
            field += text[i++];
          }
        }
      } else {
        while (i < text.length && text[i] !== ',' && text[i] !== '\r') {
          if (text[i] === '"' || text[i] === '\n') throw new Error(`bare ${JSON.stringify(text[i])} in an unquoted field at ${i}`);
          field += text[i++];
        }
      }
      record.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text.slice(i, i + 2) !== '\r\n') throw new Error(`record not ended by CRLF at ${i}`);
      i += 2;
      break;
    }
    records.push(record);
  }
  return records;
}
