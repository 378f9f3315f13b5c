import { describe, expect, it } from 'vitest';
import { createMasker, MIN_MASKED_LENGTH, NO_MASKING, SECRET_MASK, secretForms } from './mask.js';

/** Writes `text` through a stream masker cut at the given byte offsets, then ends it. */
function streamed(values: string[], text: string, cuts: number[]): string {
  const s = createMasker(values).stream();
  const bytes = Buffer.from(text);
  const out: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(s.write(bytes.subarray(at, cut)));
    at = cut;
  }
  out.push(s.end());
  return Buffer.concat(out).toString('utf8');
}

describe('createMasker: text', () => {
  it('masks every occurrence of every value', () => {
    const m = createMasker(['hunter22', 'tok-abc']);
    expect(m.mask('pw=hunter22 t=tok-abc again hunter22')).toBe('pw=*** t=*** again ***');
    expect(SECRET_MASK).toBe('***');
  });

  it('leaves values shorter than MIN_MASKED_LENGTH alone, and is inactive with none left', () => {
    expect(MIN_MASKED_LENGTH).toBe(4);
    const m = createMasker(['abc', '', 'abcd']);
    expect(m.mask('abc abcd')).toBe('abc ***');
    const none = createMasker(['no', 'x']);
    expect(none.active).toBe(false);
    expect(none.mask('no x')).toBe('no x');
  });

  it('merges overlapping occurrences so no fragment of either value survives', () => {
    // "abcd" and "cdef" overlap in "abcdef": masking one then the other would leave "ef" or "ab".
    expect(createMasker(['abcd', 'cdef']).mask('xxabcdefyy')).toBe('xx***yy');
    // One value inside another.
    expect(createMasker(['secret', 'secret-long']).mask('a secret-long b secret')).toBe('a *** b ***');
    // Self-overlapping occurrences of one value.
    expect(createMasker(['aaaa']).mask('aaaaaa b')).toBe('*** b');
    // Adjacent occurrences become one mask.
    expect(createMasker(['tok1']).mask('tok1tok1')).toBe('***');
  });

  it('handles values with regex metacharacters and non-ASCII text literally', () => {
    expect(createMasker(['a.b*c(d)']).mask('a.b*c(d) axbbc')).toBe('*** axbbc');
    expect(createMasker(['pässwörd']).mask('x=pässwörd')).toBe('x=***');
  });
});

describe('createMasker: JSON', () => {
  it('masks strings at any depth, keys included; other scalars unchanged; input untouched', () => {
    const m = createMasker(['s3cr3t']);
    const input = { token: 's3cr3t', list: ['a', 'Bearer s3cr3t', 1, true, null], nested: { s3cr3t: 'key' } };
    expect(m.maskJson(input)).toEqual({ token: '***', list: ['a', 'Bearer ***', 1, true, null], nested: { '***': 'key' } });
    expect(input.token).toBe('s3cr3t');
    expect(m.maskJson('s3cr3t')).toBe('***');
    expect(m.maskJson(42)).toBe(42);
  });

  it('catches a value with quotes or newlines that JSON text would escape', () => {
    const m = createMasker(['line1\n"line2"']);
    expect(JSON.stringify(m.maskJson({ pem: 'line1\n"line2"' }))).toBe('{"pem":"***"}');
  });
});

describe('createMasker: streams', () => {
  const text = 'start TOKEN-1234 middle TOKEN-1234 end\n';

  it('finds a value split at every possible chunk boundary', () => {
    for (let cut = 0; cut <= text.length; cut++) {
      expect(streamed(['TOKEN-1234'], text, [cut])).toBe('start *** middle *** end\n');
    }
  });

  it('finds values split over many one-byte chunks', () => {
    const cuts = Array.from({ length: text.length - 1 }, (_, i) => i + 1);
    expect(streamed(['TOKEN-1234'], text, cuts)).toBe('start *** middle *** end\n');
  });

  it('keeps overlapping values masked across boundaries (a later chunk extends a found one)', () => {
    // "abcd" is complete in the first chunk, but "cdefgh" continues into the next.
    for (let cut = 1; cut < 12; cut++) {
      expect(streamed(['abcd', 'cdefgh'], 'xxabcdefghyy', [cut])).toBe('xx***yy');
    }
  });

  it('a multi-byte UTF-8 value split inside a character', () => {
    const bytes = Buffer.from('k=pässwörd;');
    for (let cut = 1; cut < bytes.length; cut++) expect(streamed(['pässwörd'], 'k=pässwörd;', [cut])).toBe('k=***;');
  });

  it('a multi-line value (a PEM key from a file) is masked whole', () => {
    const pem = '-----BEGIN KEY-----\nMIIB\n-----END KEY-----';
    expect(streamed([pem], `key:\n${pem}\nok\n`, [10, 25, 30])).toBe('key:\n***\nok\n');
  });

  it('holds back only a tail that begins a secret, so ordinary output is not delayed', () => {
    const s = createMasker(['abcdefgh']).stream();
    expect(s.write(Buffer.from('hello world, nothing here\n')).toString()).toBe('hello world, nothing here\n');
    expect(s.write(Buffer.from('now ab')).toString()).toBe('now ');
    expect(s.write(Buffer.from('cx')).toString()).toBe('abcx');
    expect(s.write(Buffer.from(' abcdef')).toString()).toBe(' ');
    expect(s.end().toString()).toBe('abcdef');
    // A long run of self-overlapping occurrences never grows the held-back tail without bound.
    const t = createMasker(['aaaa']).stream();
    let out = '';
    for (let i = 0; i < 100; i++) out += t.write(Buffer.from('aaaaaaaaaa')).toString();
    out += t.end().toString();
    expect(out).toMatch(/^(\*\*\*)+$/);
  });

  it('an inactive masker streams bytes through unchanged', () => {
    const s = createMasker([]).stream();
    expect(s.write(Buffer.from('abc')).toString()).toBe('abc');
    expect(s.end().length).toBe(0);
  });
});

describe('createMasker: escaped forms and lines', () => {
  const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nAQ==\n-----END PRIVATE KEY-----';
  const quoted = 'pa"ss\\word\'x';

  it('masks the JSON-escaped form of a value inside JSON text', () => {
    const m = createMasker([pem, quoted]);
    const json = JSON.stringify({ key: pem, pw: quoted, n: 1 });
    expect(json).not.toContain(pem);
    expect(m.mask(json)).toBe('{"key":"***","pw":"***","n":1}');
    // Inside a string that itself holds JSON text (an output whose value is a JSON document).
    expect(m.maskJson({ body: json })).toEqual({ body: '{"key":"***","pw":"***","n":1}' });
  });

  it('masks each line of a multi-line value on its own; lines shorter than the minimum stay', () => {
    const m = createMasker([pem]);
    expect(m.mask('line: MIIEvQIBADANBgkqhkiG9w0BAQEFAASC end')).toBe('line: *** end');
    expect(m.mask('-----END PRIVATE KEY-----')).toBe('***');
    expect(m.mask('AQ== alone')).toBe('*** alone'); // 4 characters: long enough to mask
    expect(createMasker(['abcdefgh\nxyz']).mask('xyz and abcdefgh')).toBe('xyz and ***');
    // CRLF lines too, and the whole value is still one mask.
    const crlf = 'first-line\r\nsecond-line';
    expect(createMasker([crlf]).mask(`a ${crlf} b second-line`)).toBe('a *** b ***');
    expect(createMasker([pem]).mask(`k=${pem};`)).toBe('k=***;');
  });

  it('secretForms lists the value, its escaped form and its lines, none shorter than the minimum', () => {
    expect(secretForms('ab"cd')).toEqual(['ab"cd', 'ab\\"cd']);
    expect(secretForms('plain-value')).toEqual(['plain-value']);
    expect(secretForms('long-line\nxy')).toEqual(['long-line\nxy', 'long-line\\nxy', 'long-line']);
    expect(secretForms('abc')).toEqual([]);
  });

  it('a stream holds back enough for the longest (escaped) form split across chunks', () => {
    const text = `{"key":${JSON.stringify(pem)}}\n`;
    const m = createMasker([pem]);
    expect(m.maxLength).toBe(Buffer.byteLength(JSON.stringify(pem).slice(1, -1)));
    for (let cut = 1; cut < text.length; cut += 7) {
      expect(streamed([pem], text, [cut, Math.min(text.length, cut + 40)])).toBe('{"key":"***"}\n');
    }
  });
});

describe('maskThenTruncate', () => {
  it('masks before it cuts, so no prefix of a secret survives the cut', () => {
    const m = createMasker(['tok-abcdefghijklmnop']);
    const text = 'Unexpected: tok-abcdefghijklmnop and more text';
    expect(text.slice(0, 20)).toContain('tok-abcd'); // what cutting first would quote
    expect(m.maskThenTruncate(text, 20)).toBe('Unexpected: *** and…');
    expect(m.maskThenTruncate('short tok-abcdefghijklmnop', 100)).toBe('short ***');
  });

  it('without values it only shortens', () => {
    expect(NO_MASKING.maskThenTruncate('abcdef', 4)).toBe('abc…');
    expect(NO_MASKING.maskThenTruncate('abc', 4)).toBe('abc');
    expect(NO_MASKING.active).toBe(false);
  });
});
