/**
 * @module triggers/registry
 * The workflows a server serves: every `.yaml`, `.yml` and `.json` file under a folder.
 * Each valid file registers its version and schedules; an invalid file is reported with
 * every problem and the others still load; a changed file registers a new version (runs
 * already started keep the version they started with, since versions are immutable).
 * Shared template files (`templates:` without `steps`) are not workflows: a change to one
 * reloads the workflows whose steps extend it, as their content changed.
 */
import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative, resolve } from 'node:path';
import type { SpecError, WorkflowSpec } from '../workflow/index.js';
import { decodeDefinition, isTemplateFileText, validateWorkflowFile, workflowVersion } from '../workflow/index.js';
import type { Store } from '../store/index.js';
import { workflowRecord } from '../runtime/index.js';

/** What the registry reports as it loads. */
export type RegistryReport =
  | { kind: 'loaded'; file: string; workflow: string; version: string; schedules: number }
  | { kind: 'invalid'; file: string; errors: SpecError[] }
  | { kind: 'removed'; file: string; workflow: string };

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/** Loads and watches a folder of workflow files. */
export class WorkflowRegistry {
  readonly dir: string;
  private readonly byFile = new Map<string, { name: string; version: string }>();
  private readonly specs = new Map<string, WorkflowSpec>();
  private watcher: FSWatcher | undefined;
  private readonly pending = new Map<string, NodeJS.Timeout>();
  /** Workflow file -> the shared template files it extends, as last loaded. */
  private readonly uses = new Map<string, readonly string[]>();

  constructor(
    private readonly store: Store,
    dir: string,
    private readonly report: (r: RegistryReport) => void,
    private readonly clock: () => number = Date.now,
  ) {
    this.dir = resolve(dir);
  }

  /** Loads every workflow file; returns how many were valid and invalid. */
  async loadAll(): Promise<{ valid: number; invalid: number }> {
    let valid = 0;
    let invalid = 0;
    for (const file of await listFiles(this.dir)) {
      const outcome = await this.load(file, false);
      if (outcome === 'loaded') valid++;
      else if (outcome === 'invalid') invalid++;
    }
    return { valid, invalid };
  }

  /** The compiled definition of a version loaded here, or from the store. */
  async specOf(version: string): Promise<WorkflowSpec | undefined> {
    const known = this.specs.get(version);
    if (known) return known;
    const w = await this.store.getWorkflow(version);
    return w ? decodeDefinition(w) : undefined;
  }

  /** Reloads files as they change (debounced 200 ms per file). */
  watch(): void {
    this.watcher = watch(this.dir, { recursive: true }, (_event, name) => {
      if (!name || !EXTENSIONS.has(extname(name)) || skipped(name.toString())) return;
      const file = join(this.dir, name.toString());
      clearTimeout(this.pending.get(file));
      this.pending.set(file, setTimeout(() => {
        this.pending.delete(file);
        void this.load(file);
      }, 200));
    });
  }

  close(): void {
    this.watcher?.close();
    for (const t of this.pending.values()) clearTimeout(t);
  }

  /**
   * Registers one file. `ignored`: a JSON data file (valid JSON, but not an object with
   * `steps`), such as the outputs a workflow writes beside itself. Never throws for bad input.
   */
  private async load(file: string, reloadDependents = true): Promise<'loaded' | 'invalid' | 'gone' | 'ignored'> {
    if (extname(file) === '.json' && (await isJsonData(file))) return 'ignored';
    const dependents = [...this.uses].filter(([, files]) => files.includes(file)).map(([w]) => w);
    if (dependents.length > 0 || (await isTemplateFile(file))) {
      // A shared template file (changed, or removed): its workflows' content changed with it,
      // so reload them (a new version when it matters). The folder scan loads them anyway.
      if (reloadDependents) for (const w of dependents) await this.load(w, false);
      return 'ignored';
    }
    const { spec, errors, templateFiles } = await validateWorkflowFile(file);
    this.uses.set(file, templateFiles ?? []);
    // The file itself is gone (a shared template file that cannot be read makes the workflow invalid instead).
    if (errors.length && errors.every((e) => e.code === 'file-read' && e.file === file && e.path === '')) {
      const known = this.byFile.get(file);
      if (known) {
        this.byFile.delete(file);
        await this.store.saveSchedules(known.name, known.version, [], this.clock());
        this.report({ kind: 'removed', file, workflow: known.name });
      }
      return 'gone';
    }
    if (!spec || errors.length) {
      this.report({ kind: 'invalid', file, errors });
      return 'invalid';
    }
    const clash = [...this.byFile.entries()].find(([f, w]) => f !== file && w.name === spec.name);
    if (clash) {
      this.report({
        kind: 'invalid', file,
        errors: [{ code: 'duplicate-id', message: `workflow name "${spec.name}" is already defined by ${clash[0]}`, path: 'name', file }],
      });
      return 'invalid';
    }
    const version = workflowVersion(spec);
    const now = this.clock();
    await this.store.saveWorkflow(workflowRecord(spec, version, now));
    await this.store.saveSchedules(spec.name, version, spec.schedules, now);
    this.specs.set(version, spec);
    this.byFile.set(file, { name: spec.name, version });
    this.report({ kind: 'loaded', file, workflow: spec.name, version, schedules: spec.schedules.length });
    return 'loaded';
  }
}

/** Dot-folders (`.baton`, `.git`) and `node_modules` hold no workflows of the user's. */
function skipped(relative: string): boolean {
  return relative.split(/[\\/]/).slice(0, -1).some((d) => d.startsWith('.') || d === 'node_modules');
}

/** Whether a file is a shared template file (`templates:` without `steps`). */
async function isTemplateFile(file: string): Promise<boolean> {
  try {
    return isTemplateFileText(await readFile(file, 'utf8'), extname(file) === '.json' ? 'json' : 'yaml');
  } catch {
    return false; // unreadable: validation reports it
  }
}

/** Whether a `.json` file is data rather than a workflow: valid JSON that is not an object with `steps`. */
async function isJsonData(file: string): Promise<boolean> {
  try {
    const v: unknown = JSON.parse(await readFile(file, 'utf8'));
    return typeof v !== 'object' || v === null || Array.isArray(v) || !('steps' in v);
  } catch {
    return false; // unreadable or broken JSON: validation reports it
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && EXTENSIONS.has(extname(e.name)) && !skipped(relative(dir, join(e.parentPath, e.name))))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}
