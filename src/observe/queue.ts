/**
 * @module observe/queue
 * The queue by pool and effective priority: step runs waiting to start (queued, or in fleet
 * mode published and not claimed), grouped by the pool their step declares and the step's
 * priority plus its run's. One reading serves `/metrics` (`baton_queue_oldest_age_seconds`)
 * and `GET /api/v1/queue` (the dashboard), so the two never disagree.
 */
import type { Store, WaitingStepGroup } from '../store/index.js';

/** Workflow versions whose steps' pools and priorities are remembered (versions are immutable). */
const MAX_VERSIONS = 256;

/** Waiting step runs of one pool at one effective priority. */
export interface QueueGroup {
  /** The steps' pool; `''` for steps without one. */
  pool: string;
  /** Effective priority: the step's priority plus its run's. */
  priority: number;
  /** Step runs waiting. */
  count: number;
  /** When the longest-waiting of them became ready, ms since the epoch. */
  oldestQueuedAt: number;
}

/** A step's pool (`''` without one) and priority, as its workflow version declares them. */
interface StepSetting {
  pool: string;
  priority: number;
}

/**
 * Reads the queue of a store by pool and effective priority. Pools and priorities of steps
 * are read from the stored definitions (the compiled JSON, not decoded: two fields of each
 * step are all it needs) and kept per version, which is immutable. A version gone from the
 * store reads as no pool, priority 0.
 */
export class QueueReader {
  private readonly versions = new Map<string, Promise<Map<string, StepSetting>>>();

  constructor(private readonly store: Store) {}

  /** The groups with something waiting, largest effective priority first, then by pool. One store statement plus one read per unseen version. */
  async groups(): Promise<QueueGroup[]> {
    const out = new Map<string, QueueGroup>();
    for (const g of await this.store.api.waitingSteps()) {
      const s = await this.setting(g);
      const priority = s.priority + g.runPriority;
      const key = `${s.pool}\u0000${priority}`;
      const seen = out.get(key);
      if (!seen) out.set(key, { pool: s.pool, priority, count: g.count, oldestQueuedAt: g.oldestQueuedAt });
      else {
        seen.count += g.count;
        seen.oldestQueuedAt = Math.min(seen.oldestQueuedAt, g.oldestQueuedAt);
      }
    }
    return [...out.values()].sort((a, b) => b.priority - a.priority || a.pool.localeCompare(b.pool));
  }

  private async setting(g: Pick<WaitingStepGroup, 'version' | 'stepId'>): Promise<StepSetting> {
    let steps = this.versions.get(g.version);
    if (!steps) {
      if (this.versions.size >= MAX_VERSIONS) this.versions.clear();
      steps = this.read(g.version);
      this.versions.set(g.version, steps);
      // A failed read is not remembered: the next reading asks again.
      steps.catch(() => this.versions.delete(g.version));
    }
    return (await steps).get(g.stepId) ?? { pool: '', priority: 0 };
  }

  private async read(version: string): Promise<Map<string, StepSetting>> {
    const def = (await this.store.getWorkflow(version))?.definition as { steps?: { id?: unknown; pool?: unknown; priority?: unknown }[] } | undefined;
    const out = new Map<string, StepSetting>();
    for (const s of Array.isArray(def?.steps) ? def.steps : []) {
      if (typeof s.id !== 'string') continue;
      out.set(s.id, { pool: typeof s.pool === 'string' ? s.pool : '', priority: typeof s.priority === 'number' ? s.priority : 0 });
    }
    return out;
  }
}
