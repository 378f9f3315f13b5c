import { describe, expect, it } from 'vitest';
import type { WorkerRecord } from './fleet-types.js';
import { waitingReason } from './fleet-waiting.js';

function worker(id: string, o: Partial<WorkerRecord> = {}): WorkerRecord {
  return {
    id, host: 'h', pid: 1, platform: 'linux', tags: [], slots: 2, version: '0', state: 'active', startedAt: 0, heartbeatAt: 0, heartbeatAgeMs: 0,
    load: { cpu: 0.1, mem: 1, slotsInUse: 0 }, ...o,
  };
}

const any = { runsOn: [], poolFull: false };

describe('waitingReason', () => {
  it('no worker at all, or only lost and draining ones: no-worker, counting them', () => {
    expect(waitingReason(any, []).reason).toBe('no-worker');
    const r = waitingReason(any, [worker('a', { state: 'lost' }), worker('b', { state: 'draining' }), worker('c', { state: 'stopped' })]);
    expect(r).toMatchObject({ reason: 'no-worker' });
    expect(r.detail).toContain('1 lost, 1 draining');
  });

  it('live workers without a tag: no-matching-worker naming only the tags none has (the platform counts)', () => {
    const r = waitingReason({ runsOn: ['linux', 'gpu', 'docker'], poolFull: false }, [worker('a', { tags: ['docker'] })]);
    expect(r).toMatchObject({ reason: 'no-matching-worker', missingTags: ['gpu'] });
    expect(r.detail).toMatch(/^no live worker has gpu \(live workers: a \(linux, docker\)\)$/);
  });

  it('each tag on some worker but none with all: names the whole runs-on', () => {
    const r = waitingReason({ runsOn: ['gpu', 'docker'], poolFull: false }, [worker('a', { tags: ['docker'] }), worker('b', { tags: ['gpu'] })]);
    expect(r).toMatchObject({ reason: 'no-matching-worker', missingTags: [] });
    expect(r.detail).toContain('no live worker has gpu + docker');
  });

  it('a full pool, then busy workers (slots full or machine busy), else claimable', () => {
    expect(waitingReason({ runsOn: [], pool: 'db', poolFull: true }, [worker('a')]).reason).toBe('pool-full');
    const busy = waitingReason(any, [worker('a', { load: { cpu: 0.1, mem: 1, slotsInUse: 2 } }), worker('b', { load: { cpu: 0.97, mem: 1, slotsInUse: 1, throttled: true } })]);
    expect(busy.reason).toBe('workers-busy');
    expect(busy.detail).toBe('every worker that can run it is busy: a: 2/2 slots in use; b: machine busy (CPU 97%)');
    expect(waitingReason(any, [worker('a', { load: { cpu: 0.1, mem: 1, slotsInUse: 1 } })]).reason).toBe('claimable');
  });

  it('a breaker that holds it back comes before a full pool or busy workers', () => {
    const r = waitingReason({ runsOn: [], pool: 'db', poolFull: true, breaker: { key: 'http:api.example.com', state: 'open' } }, [worker('a')]);
    expect(r).toMatchObject({ reason: 'circuit-open' });
    expect(r.detail).toBe('circuit breaker http:api.example.com is open: no worker claims it until the breaker lets it (baton breakers)');
    // No live worker says more: that comes first.
    expect(waitingReason({ ...any, breaker: { key: 'k', state: 'open' } }, []).reason).toBe('no-worker');
  });
});
