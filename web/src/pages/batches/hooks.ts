/**
 * @module web/pages/batches/hooks
 * The batches page's server state: the workflows that have a batch step (from their newest
 * definitions, read once: versions are immutable), starting a run over an upload, and
 * removing a staged upload. A batch step's group progress is its step run's `batch`, in the
 * run's cached detail (web/api/live.tsx patches it from the feed's `batch` events).
 */
import { useMutation, useQueries, useQueryClient } from '@tanstack/react-query';
import type { UseMutationResult } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client.js';
import { keys, useWorkflows } from '../../api/hooks.js';
import type { Run } from '../../api/types.js';
import type { components } from '../../../../test/generated/api.js';
import { batchSteps, declaredParams } from '../../lib/definition.js';
import type { BatchStepDecl, ParamDecl } from '../../lib/definition.js';

/** A staged upload (`POST /api/v1/uploads`). */
export type Upload = components['schemas']['Upload'];
/** One staged file. */
export type UploadedFile = components['schemas']['UploadedFile'];

/** A workflow with its newest definition read for what a batch needs. */
export interface BatchWorkflow {
  name: string;
  version: string;
  steps: BatchStepDecl[];
  params: ParamDecl[];
}

/** The registered workflows with a batch step; `loading` until every definition is read. */
export function useBatchWorkflows(): { data: BatchWorkflow[] | undefined; error: unknown } {
  const list = useWorkflows();
  const versions = useQueries({
    queries: (list.data ?? []).map((w) => ({
      queryKey: keys.workflowVersion(w.name, w.latestVersion),
      staleTime: Infinity,
      queryFn: ({ signal }: { signal: AbortSignal }) => unwrap(api.GET('/api/v1/workflows/{name}/versions/{version}', { params: { path: { name: w.name, version: w.latestVersion } }, signal })),
    })),
  });
  const error = list.error ?? versions.find((v) => v.error)?.error;
  if (!list.data || versions.some((v) => v.isPending)) return { data: undefined, error };
  const data = versions.flatMap((v) => {
    const w = v.data;
    if (!w) return [];
    const steps = batchSteps(w.definition);
    return steps.length ? [{ name: w.name, version: w.version, steps, params: declaredParams(w.definition) }] : [];
  });
  return { data, error };
}

/** What starting a batch run takes. */
export interface StartBatch {
  upload: string;
  workflow: string;
  version?: string;
  param?: string;
  priority?: number;
  /** ms since the epoch. */
  at?: number;
}

/** Starts a run over an upload (`POST /api/v1/uploads/{id}/runs`). */
export function useStartBatch(): UseMutationResult<{ run: Run; param: string }, Error, StartBatch> {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: (s: StartBatch) => unwrap(api.POST('/api/v1/uploads/{id}/runs', {
      params: { path: { id: s.upload } },
      body: {
        workflow: s.workflow, params: {},
        ...(s.version !== undefined ? { version: s.version } : {}),
        ...(s.param !== undefined ? { param: s.param } : {}),
        ...(s.priority !== undefined ? { priority: s.priority } : {}),
        ...(s.at !== undefined ? { at: s.at } : {}),
      },
    })),
    onSuccess: async () => {
      await queries.invalidateQueries({ queryKey: keys.runs() });
    },
  });
}

/** Removes a staged upload and its files (`DELETE /api/v1/uploads/{id}`). */
export function useDeleteUpload(): UseMutationResult<void, Error, string> {
  return useMutation({
    mutationFn: async (id: string) => {
      await unwrap(api.DELETE('/api/v1/uploads/{id}', { params: { path: { id } } }));
    },
  });
}
