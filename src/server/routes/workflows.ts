/**
 * @module server/routes/workflows
 * Workflows: register a definition sent as YAML or JSON text, validate one without
 * registering it, list names, read a version. The body is read as text (JSON included) so
 * validation errors carry the line and column of the text the client sent.
 */
import { statSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import { z } from 'zod';
import { validateWorkflowText, workflowVersion } from '../../workflow/index.js';
import type { ValidationResult } from '../../workflow/index.js';
import { workflowRecord } from '../../runtime/index.js';
import type { ApiApp, ApiContext } from '../app.js';
import { ApiError } from '../errors.js';
import { ErrorSchema, SpecErrorSchema, WorkflowSummarySchema, WorkflowVersionSchema } from '../schemas.js';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 413: ErrorSchema, 415: ErrorSchema };
const TEXT_TYPES = ['application/json', 'application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml', 'text/plain'];
const Body = z.string().describe('the workflow as YAML or JSON text (Content-Type application/yaml, text/yaml or application/json)');
/**
 * The body as the document shows it, by media type: YAML (or JSON) text, or a JSON object.
 * Every type is read as text, so a JSON object sent as `application/json` is the workflow's
 * JSON text (line and column in errors point into it).
 */
const BODY_CONTENT = {
  'application/yaml': z.string().describe('the workflow as YAML text (JSON text is YAML too)'),
  'text/yaml': z.string().describe('the workflow as YAML text'),
  'text/plain': z.string().describe('the workflow as YAML or JSON text'),
  'application/json': z.record(z.string(), z.unknown()).describe('the workflow as a JSON object (name, steps, ...)'),
};
const NameParams = z.object({ name: z.string().min(1) });

/** Registers the workflow routes on the `/api/v1` scope (in their own scope: bodies are text). */
export function registerWorkflowRoutes(parent: ApiApp, ctx: ApiContext): void {
  void parent.register((app: ApiApp, _o, done) => {
    app.removeContentTypeParser(['application/json', 'text/plain']);
    app.addContentTypeParser(TEXT_TYPES, { parseAs: 'string' }, (_req, body, next) => next(null, body));
    routes(app, ctx);
    done();
  });
}

function routes(app: ApiApp, ctx: ApiContext): void {
  const { store } = ctx;
  // A body sent as application/json is read as strict JSON (single quotes, trailing commas
  // and duplicate keys refused with their position), as a `.json` file is.
  // A file registered by `baton run --server` names its path: when this server sees that
  // folder (one machine, a shared checkout), the workflow's relative paths resolve from it,
  // as they do when the file runs locally; otherwise from the server's workflow folder.
  const validate = async (text: unknown, contentType: string | undefined, sourcePath?: unknown): Promise<ValidationResult> => {
    if (typeof text !== 'string' || text.trim() === '') throw new ApiError(400, 'invalid-request', 'send the workflow as YAML or JSON text in the body');
    const format = /^application\/json\b/i.test(contentType ?? '') ? 'json' : 'yaml';
    const folder = typeof sourcePath === 'string' && isAbsolute(sourcePath) && sourcePath.length <= 4096 ? dirname(sourcePath) : undefined;
    const baseDir = folder !== undefined && isDirectory(folder) ? folder : ctx.baseDir;
    return validateWorkflowText(text, { label: 'request body', baseDir, format });
  };

  app.get('/workflows', {
    config: { role: 'viewer' },
    schema: { tags: ['workflows'], operationId: 'listWorkflows', summary: 'Registered workflows with their newest version', response: { 200: z.object({ workflows: z.array(WorkflowSummarySchema) }), ...errors } },
  }, async () => ({ workflows: await store.api.listWorkflows() }));

  app.post('/workflows', {
    config: { role: 'admin' },
    schema: {
      tags: ['workflows'], operationId: 'registerWorkflow', summary: 'Register a workflow (a changed definition is a new version)', body: Body, bodyContent: BODY_CONTENT,
      response: { 201: z.object({ name: z.string(), version: z.string(), created: z.boolean(), schedules: z.number().int() }), ...errors },
    },
  }, async (req, reply) => {
    const { spec, errors: problems } = await validate(req.body, req.headers['content-type'], req.headers['x-baton-source-path']);
    if (!spec) throw new ApiError(400, 'invalid-workflow', `the workflow is invalid (${problems.length} error${problems.length === 1 ? '' : 's'})`, problems);
    const version = workflowVersion(spec);
    const now = ctx.clock();
    const created = (await store.getWorkflow(version)) === undefined;
    await store.saveWorkflow(workflowRecord(spec, version, now));
    await store.saveSchedules(spec.name, version, spec.schedules, now);
    ctx.onRunQueued();
    return reply.status(201).send({ name: spec.name, version, created, schedules: spec.schedules.length });
  });

  app.post('/workflows/validate', {
    config: { role: 'admin' },
    schema: {
      tags: ['workflows'], operationId: 'validateWorkflow', summary: 'Validate a workflow without registering it', body: Body, bodyContent: BODY_CONTENT,
      response: { 200: z.object({ valid: z.boolean(), name: z.string().optional(), version: z.string().optional(), errors: z.array(SpecErrorSchema) }), ...errors },
    },
  }, async (req) => {
    const { spec, errors: problems } = await validate(req.body, req.headers['content-type']);
    return spec ? { valid: true, name: spec.name, version: workflowVersion(spec), errors: [] } : { valid: false, errors: problems };
  });

  app.get('/workflows/:name', {
    config: { role: 'viewer' },
    schema: {
      tags: ['workflows'], operationId: 'getWorkflow', summary: 'A workflow: its versions, newest first, and the newest definition', params: NameParams,
      response: { 200: z.object({ name: z.string(), versions: z.array(z.object({ version: z.string(), createdAt: z.number() })), latest: WorkflowVersionSchema }), ...errors },
    },
  }, async (req) => {
    const versions = await store.api.listWorkflowVersions(req.params.name);
    const latest = versions[0] && (await store.getWorkflow(versions[0].version));
    if (!latest) throw new ApiError(404, 'workflow-not-found', `no workflow '${req.params.name}' is registered`);
    return { name: req.params.name, versions, latest };
  });

  app.get('/workflows/:name/versions/:version', {
    config: { role: 'viewer' },
    schema: { tags: ['workflows'], operationId: 'getWorkflowVersion', summary: 'One version of a workflow', params: z.object({ name: z.string(), version: z.string() }), response: { 200: WorkflowVersionSchema, ...errors } },
  }, async (req) => {
    const w = await store.getWorkflow(req.params.version);
    if (!w || w.name !== req.params.name) throw new ApiError(404, 'workflow-not-found', `workflow '${req.params.name}' has no version '${req.params.version}'`);
    return w;
  });
}

/** Whether `path` is a directory on this machine. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
