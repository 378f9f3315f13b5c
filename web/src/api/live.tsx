/**
 * @module web/api/live
 * The live feed wired into the query cache: step transitions and batch group progress
 * patch the run they belong to at once (the DAG recolours, a batch's counts move, without a
 * request), and the resources an event changes are refetched (for an `alert` event, the
 * alert lists and that alert), coalesced so a burst of events costs one request per
 * resource. On a fresh connection (not a resumption) everything is refetched once, covering
 * what happened before the stream opened; a resumed stream misses nothing, so nothing else
 * is needed.
 */
import { createContext, useContext, useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { QueryClient, QueryKey } from '@tanstack/react-query';
import { EventFeed } from './feed.js';
import type { FeedStatus } from './feed.js';
import { keys } from './hooks.js';
import type { FeedEvent, RunDetail, StepRun, StepRunState } from './types.js';
import { isStepDone } from './types.js';
import { parseMapItemId, withMapItems } from './map.js';

/** What the page knows of the feed. */
export interface LiveState {
  status: FeedStatus;
  /** Events received since the page loaded. */
  received: number;
  /** The last event's id (`Last-Event-ID` of the next reconnection). */
  lastEventId: string | undefined;
}

/** Longest delay before received events reach the cache, ms. */
const FLUSH_MS = 150;
/** Delay before alert lists are read again after an alert change (trailing: a burst of changes, one read), ms. */
const ALERT_REFRESH_MS = 250;

const LiveContext = createContext<LiveState>({ status: 'stopped', received: 0, lastEventId: undefined });
/** Listeners of raw events (the run page's log tail reacts to attempt ends). */
const listeners = new Set<(events: FeedEvent[]) => void>();

/** Subscribes to the raw events of the live feed; returns the unsubscribe function. */
export function subscribeEvents(fn: (events: FeedEvent[]) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Refetches query keys at most once per `ms` each, trailing: a burst of events, one request. */
class Coalescer {
  private readonly due = new Map<string, { key: QueryKey; timer: ReturnType<typeof setTimeout> }>();

  constructor(private readonly queries: QueryClient) {}

  soon(key: QueryKey, ms: number): void {
    const id = JSON.stringify(key);
    if (this.due.has(id)) return;
    const timer = setTimeout(() => {
      this.due.delete(id);
      void this.queries.invalidateQueries({ queryKey: key });
    }, ms);
    this.due.set(id, { key, timer });
  }

  clear(): void {
    for (const { timer } of this.due.values()) clearTimeout(timer);
    this.due.clear();
  }
}

/**
 * Applies step transitions of one run to its cached detail, in order, in one cache write.
 * A `map` event adds its step's items (pending, their values come with the next read), and
 * a step event of an item the detail does not hold yet adds that item: items appear as the
 * run expands, without a reload.
 */
export function patchRunDetail(detail: RunDetail, events: readonly FeedEvent[]): RunDetail {
  let steps = detail.steps;
  let run = detail.run;
  let index: Map<string, number> | undefined;
  for (const e of events) {
    if (e.type === 'run' && e.to) {
      run = { ...run, state: e.to as RunDetail['run']['state'], ...(e.to === 'running' && run.startedAt === undefined ? { startedAt: e.at } : {}), ...(e.to === 'succeeded' || e.to === 'failed' || e.to === 'cancelled' ? { endedAt: e.at } : {}) };
      continue;
    }
    if (e.type === 'batch' && e.stepId && e.data) {
      index ??= new Map(steps.map((s, i) => [s.stepId, i]));
      const i = index.get(e.stepId);
      if (i === undefined) continue;
      if (steps === detail.steps) steps = [...steps];
      steps[i] = { ...steps[i]!, batch: batchCounts(e.data) };
      continue;
    }
    if (e.type === 'map' && e.stepId) {
      const n = typeof e.data?.items === 'number' ? e.data.items : 0;
      const added = withMapItems(steps, e.stepId, Array.from({ length: n }, (_, k) => k));
      if (added !== steps) {
        steps = added;
        index = undefined;
      }
      continue;
    }
    if (e.type !== 'step' || !e.stepId || !e.to) continue;
    index ??= new Map(steps.map((s, i) => [s.stepId, i]));
    let i = index.get(e.stepId);
    const item = i === undefined ? parseMapItemId(e.stepId) : undefined;
    if (item) {
      steps = withMapItems(steps, item.stepId, [item.index]);
      index = new Map(steps.map((s, k) => [s.stepId, k]));
      i = index.get(e.stepId);
    }
    if (i === undefined) continue;
    if (steps === detail.steps) steps = [...steps];
    const s = steps[i]!;
    const to = e.to as StepRunState;
    steps[i] = {
      ...s, state: to,
      ...(to === 'running' ? { startedAt: e.at, attempts: Math.max(s.attempts, 1) } : {}),
      ...(isStepDone(to) ? { endedAt: e.at } : {}),
    };
  }
  return steps === detail.steps && run === detail.run ? detail : { ...detail, run, steps };
}

/** A `batch` event's data as the step run's `batch` counts; a missing count reads 0. */
function batchCounts(data: unknown): NonNullable<StepRun['batch']> {
  const d = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const n = (k: string): number => (typeof d[k] === 'number' ? d[k] : 0);
  return { done: n('done'), failed: n('failed'), invalid: n('invalid'), total: n('total') };
}

/** Routes a batch of events to the cache. */
function apply(queries: QueryClient, later: Coalescer, events: readonly FeedEvent[]): void {
  const byRun = new Map<string, FeedEvent[]>();
  const alerts = new Set<string>();
  let runsChanged = false;
  let ended = false;
  let steps = false;
  for (const e of events) {
    if (e.type === 'alert') {
      // Not a change of its run: the alert lists and that alert's page are what it changes.
      if (e.alertId) alerts.add(e.alertId);
      continue;
    }
    const list = byRun.get(e.runId) ?? [];
    list.push(e);
    byRun.set(e.runId, list);
    if (e.type === 'run' || e.type === 'priority' || e.type === 'run-paused' || e.type === 'run-resumed' || e.type === 'rerun' || e.type === 'retried' || e.type === 'cancel-requested') runsChanged = true;
    if (e.type === 'run' && (e.to === 'succeeded' || e.to === 'failed' || e.to === 'cancelled')) ended = true;
    if (e.type === 'step') steps = true;
    if (e.type === 'step' && e.to === 'failed') ended = true;
  }
  for (const [runId, list] of byRun) {
    const key = keys.run(runId);
    const cached = queries.getQueryData<RunDetail>(key);
    if (cached) {
      queries.setQueryData<RunDetail>(key, (d) => (d ? patchRunDetail(d, list) : d));
      // A step expanded: its items are in the cache, pending, without their values; read them now.
      if (list.some((e) => e.type === 'map')) void queries.invalidateQueries({ queryKey: key });
      // Attempts, outputs and errors come with the next read: at most every 1.5 s per run,
      // every 6 s for a run of thousands of steps (its detail weighs hundreds of kB).
      later.soon(key, cached.steps.length > 1000 ? 6_000 : 1_500);
    }
  }
  if (runsChanged) later.soon(keys.runs(), 500);
  if (steps) later.soon(keys.queue, 1_000);
  if (ended) later.soon(keys.history(), 2_000);
  // Every list of alerts (the Alerts page's tabs, the Overview's open alerts) and the page of
  // each alert that changed: one read each per burst, since an alert change is its own event.
  if (alerts.size) {
    later.soon(keys.alerts(), ALERT_REFRESH_MS);
    for (const id of alerts) later.soon(keys.alert(id), ALERT_REFRESH_MS);
  }
}

/** Runs the live feed while mounted (inside a signed-in session) and gives its state to {@link useLive}. */
export function LiveProvider({ children }: { children: ReactNode }): ReactNode {
  const queries = useQueryClient();
  const [state, setState] = useState<LiveState>({ status: 'connecting', received: 0, lastEventId: undefined });

  useEffect(() => {
    const later = new Coalescer(queries);
    let received = 0;
    // Events are applied in batches at most every FLUSH_MS: a busy server sends thousands a
    // second, and each cache write re-renders what shows the run.
    let pending: FeedEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = (): void => {
      timer = undefined;
      const events = pending;
      pending = [];
      apply(queries, later, events);
      for (const fn of listeners) fn(events);
      setState({ status: feed.currentStatus, received, lastEventId: feed.lastEventId });
    };
    const feed = new EventFeed({
      onEvents(events) {
        received += events.length;
        pending.push(...events);
        timer ??= setTimeout(flush, FLUSH_MS);
      },
      onStatus(status, { resumed }) {
        // What was read before the stream opened may have missed events: read it again, all
        // but the workflow versions, which never change.
        if (status === 'open' && !resumed) void queries.invalidateQueries({ predicate: (q) => q.queryKey[0] !== keys.workflowVersion('', '')[0] });
        setState({ status, received, lastEventId: feed.lastEventId });
      },
      onUnauthenticated() {
        void queries.invalidateQueries();
      },
    });
    feed.start();
    const wake = (): void => feed.reconnect();
    window.addEventListener('online', wake);
    return () => {
      window.removeEventListener('online', wake);
      feed.stop();
      if (timer !== undefined) clearTimeout(timer);
      later.clear();
    };
  }, [queries]);

  return <LiveContext.Provider value={state}>{children}</LiveContext.Provider>;
}

/** The live feed's state. */
export function useLive(): LiveState {
  return useContext(LiveContext);
}
