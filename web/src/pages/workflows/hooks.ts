/**
 * @module web/pages/workflows/hooks
 * The workflows page's server state: one workflow with its versions (refetched with the
 * workflow list, which registration changes), and starting a run (`POST /api/v1/runs`).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { UseMutationResult, UseQueryResult } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.js';
import { keys } from '../../api/hooks.js';
import type { Run, WorkflowVersion } from '../../api/types.js';

/** A workflow: its versions, newest first, and the newest definition. */
export interface WorkflowDetail {
  name: string;
  versions: { version: string; createdAt: number }[];
  latest: WorkflowVersion;
}

/** One workflow (`GET /api/v1/workflows/{name}`), under the workflows key so a list refresh refreshes it. */
export function useWorkflow(name: string): UseQueryResult<WorkflowDetail> {
  return useQuery({
    queryKey: [...keys.workflows, name],
    queryFn: ({ signal }) => unwrap(api.GET('/api/v1/workflows/{name}', { params: { path: { name } }, signal })),
  });
}

/** What starting a run takes. */
export interface StartRun {
  workflow: string;
  version?: string;
  params: Record<string, unknown>;
  priority?: number;
  /** ms since the epoch. */
  at?: number;
}

/** Starts a run; refreshes the runs lists. */
export function useStartRun(): UseMutationResult<{ run: Run }, Error, StartRun> {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (s: StartRun) => unwrap(api.POST('/api/v1/runs', { body: s })),
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: keys.runs() });
    },
  });
}
