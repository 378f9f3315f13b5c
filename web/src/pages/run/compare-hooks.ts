/**
 * @module web/pages/run/compare-hooks
 * The comparison's server state: the runs of a workflow a run can be compared with. Read
 * under the runs list's key, so the live feed refreshes the list as runs start and end.
 */
import { useQuery } from '@tanstack/react-query';
import type { UseQueryResult } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.js';
import { keys } from '../../api/hooks.js';
import type { Run } from '../../api/types.js';
import { compareCandidates, previousRun } from './compare.js';

/** How many runs the picker offers: the newest, plus as many created before the run. */
const OFFERED = 20;

/** Runs to compare a run with, newest first, and the one created last before it. */
export interface CompareCandidates {
  runs: Run[];
  /** Id of the run created last before this one; undefined when this is the first. */
  previous?: string;
}

/**
 * The other runs of `run`'s workflow (`GET /runs?workflow=`): the newest ones, and those
 * created just before `run` (so that its predecessor is offered however old `run` is).
 * Read only while `enabled` (the picker is open).
 */
export function useCompareCandidates(run: Pick<Run, 'id' | 'workflow' | 'createdAt'>, enabled: boolean): UseQueryResult<CompareCandidates> {
  return useQuery({
    queryKey: [...keys.runs({ workflow: run.workflow }), 'compare', run.id],
    enabled,
    queryFn: async ({ signal }): Promise<CompareCandidates> => {
      const list = (query: { workflow: string; until?: number }): Promise<Run[]> =>
        unwrap(api.GET('/api/v1/runs', { params: { query: { ...query, limit: OFFERED } }, signal })).then((p) => p.runs);
      // `until` is exclusive: a run created in the same millisecond is only in the newest page.
      const [recent, earlier] = await Promise.all([list({ workflow: run.workflow }), list({ workflow: run.workflow, until: run.createdAt })]);
      const runs = compareCandidates(recent, earlier, run);
      const previous = previousRun(runs, run);
      return { runs, ...(previous !== undefined ? { previous } : {}) };
    },
  });
}
