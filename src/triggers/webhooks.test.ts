import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WebhookError, deliveryOutcome, signWebhook, verifyWebhook, webhookParams } from './webhooks.js';

const SECRET = 's3cret';
const NOW = 1_700_000_000_000;
const TS = NOW / 1000;
const body = Buffer.from('{"sku":"A"}');
const check = { secret: SECRET, toleranceSec: 300, now: NOW };
const problem = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    if (e instanceof WebhookError) return e.code;
    throw e;
  }
  return 'accepted';
};

describe('verifyWebhook', () => {
  it('accepts the HMAC of <timestamp>.<delivery>.<body>', () => {
    const signature = signWebhook(SECRET, TS, 'd-1', body);
    expect(signature).toBe('sha256=' + createHmac('sha256', SECRET).update(`${TS}.d-1.{"sku":"A"}`).digest('hex'));
    expect(verifyWebhook({ timestamp: String(TS), delivery: 'd-1', signature }, body, check)).toEqual({ timestamp: TS, delivery: 'd-1' });
  });

  it('refuses the same signature under another delivery id (a captured request re-sent)', () => {
    const signature = signWebhook(SECRET, TS, 'd-1', body);
    expect(problem(() => verifyWebhook({ timestamp: String(TS), delivery: 'd-2', signature }, body, check))).toBe('bad-signature');
  });

  it('refuses the scheme that signed <timestamp>.<body> only', () => {
    const signature = 'sha256=' + createHmac('sha256', SECRET).update(`${TS}.`).update(body).digest('hex');
    expect(problem(() => verifyWebhook({ timestamp: String(TS), delivery: 'd-1', signature }, body, check))).toBe('bad-signature');
  });

  it('refuses missing headers, timestamps outside the tolerance, and long delivery ids', () => {
    expect(problem(() => verifyWebhook({ timestamp: String(TS), delivery: 'd-1' }, body, check))).toBe('unsigned');
    const at = (ts: number): string => problem(() => verifyWebhook({ timestamp: String(ts), delivery: 'd', signature: signWebhook(SECRET, ts, 'd', body) }, body, check));
    expect(at(TS - 300)).toBe('accepted');
    expect(at(TS + 300)).toBe('accepted');
    expect(at(TS - 301)).toBe('stale-signature');
    expect(at(TS + 301)).toBe('stale-signature');
    expect(problem(() => verifyWebhook({ timestamp: '1.7e9', delivery: 'd', signature: 'x' }, body, check))).toBe('stale-signature');
    const long = 'x'.repeat(201);
    expect(problem(() => verifyWebhook({ timestamp: String(TS), delivery: long, signature: signWebhook(SECRET, TS, long, body) }, body, check))).toBe('invalid-request');
  });
});

describe('webhookParams and deliveryOutcome', () => {
  it('reads a JSON object (an empty body is no params) and refuses anything else', () => {
    expect(webhookParams(Buffer.alloc(0))).toEqual({});
    expect(webhookParams(body)).toEqual({ sku: 'A' });
    expect(problem(() => webhookParams(Buffer.from('{')))).toBe('malformed-json');
    expect(problem(() => webhookParams(Buffer.from('[1]')))).toBe('invalid-request');
  });

  it('a delivery id seen before starts nothing and names the first run', () => {
    expect(deliveryOutcome('d-1', { created: true, runId: 'r1' })).toEqual({ accepted: true, runId: 'r1' });
    expect(deliveryOutcome('d-1', { created: false, runId: 'r1' })).toMatchObject({ accepted: false, runId: 'r1', message: expect.stringContaining('r1') as unknown });
  });
});
