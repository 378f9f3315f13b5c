/**
 * @module server/routes/uploads
 * Batches from files: upload files (a dropped folder keeps its structure) to a staging
 * folder on the server, list them, start a run of a workflow with a `batch` step over them.
 * Runs over an upload read its files from this server's disk: they run on this server's
 * engine or worker, not on workers of other machines.
 */
import { z } from 'zod';
import type { ApiApp, ApiContext } from '../app.js';
import { ErrorSchema, RunSchema, UploadRunBody, UploadSchema } from '../schemas.js';
import type { IncomingFile } from '../uploads.js';
import { deleteUpload, readUpload, recordUploadRun, stageUpload, uploadParam } from '../uploads.js';
import { createRunOf, workflowSpec } from './runs.js';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 413: ErrorSchema };
const IdParams = z.object({ id: z.string().describe('upload id') });

/** Registers `/uploads` on the `/api/v1` scope. */
export function registerUploadRoutes(app: ApiApp, ctx: ApiContext): void {
  const limits = ctx.uploads;

  app.post('/uploads', {
    config: { role: 'operator' },
    schema: {
      tags: ['batches'],
      operationId: 'createUpload',
      summary: 'Stage files for a batch run',
      description: `multipart/form-data with one file part per file; a part's filename is its path inside the upload (a folder's files keep their relative paths; \`..\`, control characters and over-long names are refused). All or nothing: a file over ${limits.maxFileBytes} bytes, more than ${limits.maxFiles} files or over ${limits.maxTotalBytes} bytes in all answers 413 naming the file, and nothing is kept. An empty file is kept and marked \`problem: empty\`.`,
      bodyContent: { 'multipart/form-data': z.object({ file: z.array(z.string().meta({ format: 'binary' })).describe('the files') }) },
      response: { 201: UploadSchema, ...errors },
    },
  }, async (req, reply) => {
    const parts = req.parts({ preservePath: true, limits: { fileSize: limits.maxFileBytes + 1, files: limits.maxFiles + 1, parts: limits.maxFiles + 100, fields: 50, fieldSize: 64 * 1024 } });
    async function* files(): AsyncGenerator<IncomingFile> {
      for await (const part of parts) if (part.type === 'file') yield { filename: part.filename, file: part.file };
    }
    const manifest = await stageUpload(ctx.dataDir, files(), limits, req.token?.name || req.token?.id || 'unknown', ctx.clock());
    return reply.status(201).send(manifest);
  });

  app.get('/uploads/:id', {
    config: { role: 'viewer' },
    schema: { tags: ['batches'], operationId: 'getUpload', summary: 'A staged upload and its files', params: IdParams, response: { 200: UploadSchema, ...errors } },
  }, async (req) => readUpload(ctx.dataDir, req.params.id));

  app.delete('/uploads/:id', {
    config: { role: 'operator' },
    schema: { tags: ['batches'], operationId: 'deleteUpload', summary: 'Remove a staged upload and its files', params: IdParams, response: { 204: z.null().describe('removed'), ...errors } },
  }, async (req, reply) => {
    await deleteUpload(ctx.dataDir, req.params.id);
    return reply.status(204).send(null);
  });

  app.post('/uploads/:id/runs', {
    config: { role: 'operator' },
    schema: {
      tags: ['batches'],
      operationId: 'createUploadRun',
      summary: "Start a run of a workflow with a batch step over an upload's files",
      description: "The workflow's batch step validates every file first (its `validate:`), so a broken file is named before any group runs; the run's batch output counts items done, failed and skipped.",
      params: IdParams,
      body: UploadRunBody,
      response: { 201: z.object({ run: RunSchema, param: z.string().describe('the param that received the files') }), ...errors, 409: ErrorSchema },
    },
  }, async (req, reply) => {
    const upload = await readUpload(ctx.dataDir, req.params.id);
    const b = req.body;
    const { spec } = await workflowSpec(ctx, b.workflow, b.version);
    const { name, value } = uploadParam(spec, upload, b.param);
    const dueAt = b.at === undefined ? undefined : typeof b.at === 'number' ? b.at : Date.parse(b.at);
    const run = await createRunOf(ctx, b.workflow, {
      params: { ...b.params, [name]: value }, trigger: 'api',
      ...(b.version !== undefined ? { version: b.version } : {}),
      ...(b.priority !== undefined ? { priority: b.priority } : {}),
      ...(dueAt !== undefined && dueAt > ctx.clock() ? { dueAt } : {}),
    });
    // After the run exists: retention keeps an upload while a run it names does.
    await recordUploadRun(ctx.dataDir, upload.id, run.id);
    return reply.status(201).send({ run, param: name });
  });
}
