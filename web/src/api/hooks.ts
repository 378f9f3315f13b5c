/**
 * @module web/api/hooks
 * One react-query hook per API resource. Nothing here polls: the live feed
 * (`live.ts`) patches or invalidates these queries as events arrive. Query keys are the
 * exported {@link keys}, so the feed and the hooks name the same cache entries.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { QueryClient, UseInfiniteQueryResult, UseMutationResult, UseQueryResult, InfiniteData } from '@tanstack/react-query';
import { api, unwrap } from './client.js';
import type { Alert, AlertEvent, Delivery, Diagnosis, Forecast, History, LogSearch, Queue, Run, RunDetail, RunPage, Schedule, Silence, Worker, WorkflowSummary, WorkflowVersion } from './types.js';

/** Filters of the runs list, as `GET /runs` takes them (comma-separated state and trigger). */
export interface RunFilters {
  workflow?: string;
  state?: string;
  trigger?: string;
  /** ms since the epoch. */
  since?: number;
  /** ms since the epoch. */
  until?: number;
}

/** The query keys of every resource. */
export const keys = {
  runs: (f?: RunFilters) => (f ? (['runs', f] as const) : (['runs'] as const)),
  run: (id: string) => ['run', id] as const,
  history: (since?: string) => (since ? (['history', since] as const) : (['history'] as const)),
  forecast: ['forecast'] as const,
  queue: ['queue'] as const,
  workers: ['workers'] as const,
  schedules: ['schedules'] as const,
  workflows: ['workflows'] as const,
  alerts: (state?: string) => (state ? (['alerts', state] as const) : (['alerts'] as const)),
  alert: (id: string) => ['alert', id] as const,
  silences: ['silences'] as const,
  logSearch: (id: string, q: string) => ['log-search', id, q] as const,
  diagnosis: (id: string) => ['diagnosis', id] as const,
  /** A stored workflow version: immutable, never read twice. */
  workflowVersion: (name: string, version: string) => ['workflow-version', name, version] as const,
};

/** Runs matching `filters`, newest first, page by page (cursor pagination). */
export function useRunPages(filters: RunFilters, pageSize = 100): UseInfiniteQueryResult<InfiniteData<RunPage, string | undefined>> {
  return useInfiniteQuery({
    queryKey: keys.runs(filters),
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam, signal }) => unwrap(api.GET('/api/v1/runs', {
      params: { query: { ...filters, limit: pageSize, ...(pageParam !== undefined ? { cursor: pageParam } : {}) } }, signal,
    })),
    getNextPageParam: (last) => last.next,
  });
}

/** The first page of runs matching `filters` (at most `limit`). */
export function useRuns(filters: RunFilters, limit = 50): UseQueryResult<Run[]> {
  return useQuery({
    queryKey: [...keys.runs(filters), limit],
    queryFn: async ({ signal }) => (await unwrap(api.GET('/api/v1/runs', { params: { query: { ...filters, limit } }, signal }))).runs,
  });
}

/** A run with its step runs and attempts. */
export function useRun(id: string | undefined): UseQueryResult<RunDetail> {
  return useQuery({ ...runQuery(id ?? ''), enabled: id !== undefined && id !== '' });
}

/** How a run's detail is read (the run page's query, and its prefetch). */
function runQuery(id: string): { queryKey: readonly ['run', string]; queryFn: (c: { signal: AbortSignal }) => Promise<RunDetail> } {
  return { queryKey: keys.run(id), queryFn: ({ signal }) => unwrap(api.GET('/api/v1/runs/{id}', { params: { path: { id } }, signal })) };
}

/** How a workflow version is read. */
function workflowVersionQuery(name: string, version: string): { queryKey: readonly unknown[]; queryFn: (c: { signal: AbortSignal }) => Promise<WorkflowVersion>; staleTime: number } {
  return {
    queryKey: keys.workflowVersion(name, version),
    staleTime: Infinity,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/workflows/{name}/versions/{version}', { params: { path: { name, version } }, signal })),
  };
}

/**
 * Starts reading what the run page at `path` shows (the run, then its definition), or the
 * comparison of two runs (both runs), while the app is still starting: otherwise the reads
 * wait for the session check and the page's script, one after the other. Does nothing for
 * other pages; a failed read is read again by the page.
 */
export function prefetchPage(queries: QueryClient, path: string): void {
  const m = /^\/runs\/([^/?#]+)(?:\/compare\/([^/?#]+))?\/?$/.exec(path);
  if (!m) return;
  const id = decodeURIComponent(m[1]!);
  if (m[2] !== undefined) {
    for (const run of [id, decodeURIComponent(m[2])]) void queries.prefetchQuery(runQuery(run));
    return;
  }
  void queries.fetchQuery(runQuery(id)).then((d) => queries.prefetchQuery(workflowVersionQuery(d.run.workflow, d.run.version)), () => undefined);
}

/** The history summary over `since` (24h by hour; longer by day). */
export function useHistory(since: '24h' | '7d' | '30d'): UseQueryResult<History> {
  return useQuery({
    queryKey: keys.history(since),
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/history', { params: { query: { since, by: since === '24h' || since === '7d' ? 'hour' : 'day' } }, signal })),
  });
}

/**
 * The load forecast of the next 24 hours. It changes when an hour completes, not with each
 * event: read again every 10 minutes rather than patched by the live feed.
 */
export function useForecast(): UseQueryResult<Forecast> {
  return useQuery({
    queryKey: keys.forecast,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/forecast', { params: { query: { hours: 24 } }, signal })),
    staleTime: 10 * 60_000,
    refetchInterval: 10 * 60_000,
  });
}

/**
 * Each step's median duration over the last 30 days, ms, of one workflow (what the path
 * that holds a run back is weighed by). Read once per workflow and page view.
 */
export function useStepMedians(workflow: string | undefined): UseQueryResult<Map<string, number>> {
  return useQuery({
    queryKey: ['step-medians', workflow],
    enabled: !!workflow,
    staleTime: 5 * 60_000,
    queryFn: async ({ signal }) => {
      const h = await unwrap(api.GET('/api/v1/history', { params: { query: { workflow: workflow!, since: '30d', by: 'day' } }, signal }));
      return new Map(h.steps.filter((s) => s.p50Ms !== undefined).map((s) => [s.stepId, s.p50Ms!]));
    },
  });
}

/** The queue by pool and priority. */
export function useQueue(): UseQueryResult<Queue> {
  return useQuery({ queryKey: keys.queue, queryFn: ({ signal }) => unwrap(api.GET('/api/v1/queue', { signal })) });
}

/** Fleet workers (empty on SQLite). */
export function useWorkers(): UseQueryResult<Worker[]> {
  return useQuery({ queryKey: keys.workers, queryFn: async ({ signal }) => (await unwrap(api.GET('/api/v1/workers', { signal }))).workers });
}

/** Schedules with their next fire times. */
export function useSchedules(): UseQueryResult<Schedule[]> {
  return useQuery({ queryKey: keys.schedules, queryFn: async ({ signal }) => (await unwrap(api.GET('/api/v1/schedules', { signal }))).schedules });
}

/** Registered workflows. */
export function useWorkflows(): UseQueryResult<WorkflowSummary[]> {
  return useQuery({ queryKey: keys.workflows, queryFn: async ({ signal }) => (await unwrap(api.GET('/api/v1/workflows', { signal }))).workflows });
}

/** Alerts in `state` (comma-separated, or `open`), newest first. */
export function useAlerts(state: string): UseQueryResult<Alert[]> {
  return useQuery({
    queryKey: keys.alerts(state),
    queryFn: async ({ signal }) => (await unwrap(api.GET('/api/v1/alerts', { params: { query: { state: state || undefined, limit: 500 } }, signal }))).alerts,
  });
}

/** One alert with its events and deliveries. */
export function useAlert(id: string | undefined): UseQueryResult<{ alert: Alert; events: AlertEvent[]; deliveries: Delivery[] }> {
  return useQuery({
    queryKey: keys.alert(id ?? ''),
    enabled: !!id,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/alerts/{id}', { params: { path: { id: id! } }, signal })),
  });
}

/** Silences in effect or to come. */
export function useSilences(): UseQueryResult<Silence[]> {
  return useQuery({ queryKey: keys.silences, queryFn: async ({ signal }) => (await unwrap(api.GET('/api/v1/silences', { signal }))).silences });
}

/** A server-side search of a run's logs; disabled for an empty query. */
export function useLogSearch(runId: string, q: string): UseQueryResult<LogSearch> {
  return useQuery({
    queryKey: keys.logSearch(runId, q),
    enabled: q !== '',
    staleTime: 5_000,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/runs/{id}/logs', { params: { path: { id: runId }, query: { q, ignoreCase: 'true', limit: 500 } }, signal })),
  });
}

/**
 * The diagnosis of a failed run; disabled until `enabled` (the run has failed). A failed run's
 * records do not change until someone retries it, which refreshes the run and so this page.
 */
export function useDiagnosis(runId: string, enabled: boolean): UseQueryResult<Diagnosis> {
  return useQuery({
    queryKey: keys.diagnosis(runId),
    enabled,
    staleTime: 60_000,
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/runs/{id}/diagnosis', { params: { path: { id: runId } }, signal })),
  });
}

/** An operator's action on a run. */
export type RunAction =
  | { kind: 'cancel' }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'retry-failed' }
  | { kind: 'retry-new' }
  | { kind: 'retry-from'; step: string }
  | { kind: 'priority'; priority: number }
  /** The `recovery`-th recovery (from 1) of the diagnosed step `step`. */
  | { kind: 'apply-recovery'; step: string; recovery: number }
  /** Approves or rejects an `approval:` step. */
  | { kind: 'answer'; step: string; approved: boolean; note?: string }
  /** Sends signal `name` with a JSON payload to the run's `wait:` steps. */
  | { kind: 'signal'; name: string; payload: unknown };

/** Performs {@link RunAction}s on a run; refreshes it and the lists after each. */
export function useRunAction(runId: string): UseMutationResult<unknown, Error, RunAction> {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (a: RunAction): Promise<unknown> => {
      const path = { params: { path: { id: runId } } };
      switch (a.kind) {
        case 'cancel': return unwrap(api.POST('/api/v1/runs/{id}/cancel', path));
        case 'pause': return unwrap(api.POST('/api/v1/runs/{id}/pause', path));
        case 'resume': return unwrap(api.POST('/api/v1/runs/{id}/resume', path));
        case 'retry-failed': return unwrap(api.POST('/api/v1/runs/{id}/retry', { ...path, body: { mode: 'failed' } }));
        case 'retry-new': return unwrap(api.POST('/api/v1/runs/{id}/retry', { ...path, body: { mode: 'new' } }));
        case 'retry-from': return unwrap(api.POST('/api/v1/runs/{id}/retry', { ...path, body: { mode: 'from', step: a.step } }));
        case 'priority': return unwrap(api.POST('/api/v1/runs/{id}/priority', { ...path, body: { priority: a.priority } }));
        case 'apply-recovery': return unwrap(api.POST('/api/v1/runs/{id}/diagnosis/apply', { ...path, body: { recovery: a.recovery, step: a.step } }));
        case 'answer': return unwrap(api.POST('/api/v1/runs/{id}/steps/{step}/approval', { params: { path: { id: runId, step: a.step } }, body: { approved: a.approved, ...(a.note ? { note: a.note } : {}) } }));
        case 'signal': return unwrap(api.POST('/api/v1/runs/{id}/signals/{name}', { params: { path: { id: runId, name: a.name } }, body: a.payload }));
      }
    },
    onSettled: async () => {
      await Promise.all([queries.invalidateQueries({ queryKey: keys.run(runId) }), queries.invalidateQueries({ queryKey: keys.runs() }), queries.invalidateQueries({ queryKey: keys.diagnosis(runId) })]);
    },
  });
}

/** An operator's action on an alert. */
export type AlertAction =
  | { kind: 'ack'; note?: string }
  | { kind: 'resolve'; note?: string }
  | { kind: 'silence'; matchers: { name: string; value: string }[]; duration: string; comment?: string };

/** Acknowledges, resolves or silences alerts; refreshes alerts after each. */
export function useAlertAction(alertId: string): UseMutationResult<unknown, Error, AlertAction> {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (a: AlertAction): Promise<unknown> => {
      switch (a.kind) {
        case 'ack': return unwrap(api.POST('/api/v1/alerts/{id}/ack', { params: { path: { id: alertId } }, body: a.note ? { note: a.note } : {} }));
        case 'resolve': return unwrap(api.POST('/api/v1/alerts/{id}/resolve', { params: { path: { id: alertId } }, body: a.note ? { note: a.note } : {} }));
        case 'silence': return unwrap(api.POST('/api/v1/silences', { body: { matchers: a.matchers, duration: a.duration, ...(a.comment ? { comment: a.comment } : {}) } }));
      }
    },
    onSettled: async () => {
      await Promise.all([queries.invalidateQueries({ queryKey: keys.alerts() }), queries.invalidateQueries({ queryKey: keys.alert(alertId) }), queries.invalidateQueries({ queryKey: keys.silences })]);
    },
  });
}

/** One version of a workflow (immutable: read once). */
export function useWorkflowVersion(name: string | undefined, version: string | undefined): UseQueryResult<WorkflowVersion> {
  return useQuery({ ...workflowVersionQuery(name ?? '', version ?? ''), enabled: !!name && !!version });
}
