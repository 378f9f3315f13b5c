/**
 * @module store/fleet-waiting
 * Why a published attempt waits unclaimed, decided from the `workers` rows (capabilities,
 * slots, heartbeat state, load) and its pool: the one place that answers it, for `baton
 * show`, the API's step runs and the live `baton run` view. Pure: the store reads the rows.
 */
import type { WaitingAttempt, WaitingReason, WorkerRecord } from './fleet-types.js';

/** A published, unclaimed attempt as far as its waiting reason is concerned. */
export interface QueuedAttempt {
  /** Tags a worker needs (its platform counts as one); empty: any worker. */
  runsOn: string[];
  pool?: string;
  /** Its pool's fleet-wide limit is reached. */
  poolFull: boolean;
  /** Its circuit breaker, when that holds it back (not closed, and it is not the trial). */
  breaker?: { key: string; state: string };
}

/** Whether `w` has every tag of `runsOn` (its platform counts as a tag), as claims match `runs_on`. */
export function workerFits(w: Pick<WorkerRecord, 'platform' | 'tags'>, runsOn: readonly string[]): boolean {
  return runsOn.every((t) => t === w.platform || w.tags.includes(t));
}

const describeWorker = (w: WorkerRecord): string => `${w.id} (${[w.platform, ...w.tags].join(', ')})`;

/**
 * The reason `q` waits, in this order: no live worker; none with its tags (naming the tags
 * no live worker has); its circuit breaker holds it back; its pool is full; every fitting
 * worker busy (slots in use, or throttled by machine load); otherwise claimable. `workers` as `listWorkers` returns them:
 * `lost` ones are dead, `draining` ones claim nothing, so only `active` ones count.
 */
export function waitingReason(q: QueuedAttempt, workers: readonly WorkerRecord[]): Pick<WaitingAttempt, 'reason' | 'detail' | 'missingTags'> {
  const live = workers.filter((w) => w.state === 'active');
  const of = (reason: WaitingReason, detail: string): Pick<WaitingAttempt, 'reason' | 'detail'> => ({ reason, detail });
  if (!live.length) {
    const lost = workers.filter((w) => w.state === 'lost').length;
    const draining = workers.filter((w) => w.state === 'draining').length;
    const others = [lost ? `${lost} lost` : '', draining ? `${draining} draining` : ''].filter(Boolean).join(', ');
    return of('no-worker', `no live worker on this database${others ? ` (${others})` : ''}: start one with baton worker`);
  }
  const fitting = live.filter((w) => workerFits(w, q.runsOn));
  if (!fitting.length) {
    const missingTags = q.runsOn.filter((t) => !live.some((w) => w.platform === t || w.tags.includes(t)));
    const needs = missingTags.length ? missingTags : q.runsOn;
    return {
      ...of('no-matching-worker', `no live worker has ${needs.join(missingTags.length ? ', ' : ' + ')} (live workers: ${live.map(describeWorker).join('; ')})`),
      missingTags,
    };
  }
  if (q.breaker) return of('circuit-open', `circuit breaker ${q.breaker.key} is ${q.breaker.state}: no worker claims it until the breaker lets it (baton breakers)`);
  if (q.poolFull) return of('pool-full', `pool ${q.pool ?? '?'} is at its fleet-wide limit`);
  const free = fitting.filter((w) => (w.load?.slotsInUse ?? 0) < w.slots && w.load?.throttled !== true);
  if (!free.length) {
    const why = fitting.map((w) => (w.load?.throttled
      ? `${w.id}: machine busy (${w.load.limitReason ?? `CPU ${Math.round(w.load.cpu * 100)}%`}${w.load.limit !== undefined ? `: throttled to ${w.load.limit} of ${w.slots} slots` : ''})`
      : `${w.id}: ${w.load?.slotsInUse ?? 0}/${w.slots} slots in use`));
    return of('workers-busy', `every worker that can run it is busy: ${why.join('; ')}`);
  }
  return of('claimable', `${free.length} worker${free.length === 1 ? '' : 's'} with a free slot can claim it: ${free.map((w) => w.id).join(', ')}`);
}
