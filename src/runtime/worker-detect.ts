/**
 * @module runtime/worker-detect
 * What a `baton worker` can run, found once when it starts: the facts of its machine
 * (node:os) and the tags of the tools on its PATH that workflows commonly need. Tools are
 * found by looking for an executable file in each PATH folder, never by running them: fast,
 * and free of whatever a tool does when started. Only `nvidia-smi -L` is run, because a
 * driver's tool can be installed on a machine whose GPU is absent or unusable.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import os from 'node:os';
import { delimiter, join } from 'node:path';
import type { WorkerFacts } from '../store/index.js';

/**
 * The tools detected, as tag -> executable looked up on PATH. A tag is the tool's usual name
 * (`ansible` is found through `ansible-playbook`, the command a step runs).
 */
export const DETECTED_TOOLS: Readonly<Record<string, string>> = {
  docker: 'docker',
  kubectl: 'kubectl',
  terraform: 'terraform',
  ansible: 'ansible-playbook',
  python3: 'python3',
  node: 'node',
  git: 'git',
};

/** The tag of a machine with a usable NVIDIA GPU (`nvidia-smi -L` lists one). */
export const GPU_TAG = 'gpu';

/** How long `nvidia-smi -L` may take before the machine counts as having no GPU, ms. */
export const GPU_PROBE_TIMEOUT_MS = 3_000;

/** Options of {@link detectCapabilities}; the defaults are this process's. */
export interface DetectOptions {
  /** The PATH searched. @default process.env.PATH */
  path?: string;
  /** @default process.platform */
  platform?: NodeJS.Platform;
  /** Extensions tried on Windows, `;`-separated. @default process.env.PATHEXT, else `.EXE;.CMD;.BAT;.COM` */
  pathExt?: string;
  /** @default GPU_PROBE_TIMEOUT_MS */
  gpuTimeoutMs?: number;
}

/** What {@link detectCapabilities} found. */
export interface DetectedCapabilities {
  /**
   * Tags, sorted: the architecture (`os.arch()`, e.g. `x64`, `arm64`), then the tools of
   * {@link DETECTED_TOOLS} found on PATH, and `gpu`.
   */
  tags: string[];
  facts: WorkerFacts;
}

/** The facts of this machine: architecture, CPUs this process can use, total memory (bytes). */
export function machineFacts(): WorkerFacts {
  return { arch: os.arch(), cpus: os.availableParallelism(), memoryBytes: os.totalmem() };
}

/**
 * The full path of the executable `name` in the first PATH folder that holds one, or
 * undefined. A file counts when it is executable by this process (`X_OK`) and is not a
 * folder; on Windows, where every file passes `X_OK`, `name` plus each PATHEXT extension.
 */
export async function findOnPath(name: string, o: DetectOptions = {}): Promise<string | undefined> {
  const platform = o.platform ?? process.platform;
  const folders = (o.path ?? process.env.PATH ?? '').split(platform === 'win32' ? ';' : delimiter).filter(Boolean);
  const exts = platform === 'win32' ? (o.pathExt ?? process.env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean) : [''];
  for (const folder of folders) {
    for (const ext of exts) {
      const file = join(folder, name + ext);
      try {
        await access(file, constants.X_OK);
        if ((await stat(file)).isFile()) return file;
      } catch {
        // not here: the next folder
      }
    }
  }
  return undefined;
}

/**
 * True when `nvidia-smi -L` (the file found on PATH) ends within `timeoutMs` and lists at
 * least one GPU (a line `GPU <n>: …`). A failing, hanging or silent tool means no GPU.
 */
export function gpuListed(nvidiaSmi: string, timeoutMs = GPU_PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    execFile(nvidiaSmi, ['-L'], { timeout: timeoutMs, windowsHide: true, maxBuffer: 64 * 1024 }, (err, stdout) => {
      resolve(!err && /^GPU \d+:/m.test(stdout));
    });
  });
}

/**
 * Detects the machine's facts and its tags (see {@link DetectedCapabilities}), searching
 * PATH for the tools concurrently. Never throws: what cannot be checked is not advertised.
 * @example
 * const { tags, facts } = await detectCapabilities();
 * // tags: ['docker', 'git', 'node', 'x64'], facts: { arch: 'x64', cpus: 8, memoryBytes: 16663592960 }
 */
export async function detectCapabilities(o: DetectOptions = {}): Promise<DetectedCapabilities> {
  const facts = machineFacts();
  const tools = await Promise.all(Object.entries(DETECTED_TOOLS).map(async ([tag, exe]) => ((await findOnPath(exe, o)) ? tag : undefined)));
  const smi = await findOnPath('nvidia-smi', o);
  const gpu = smi !== undefined && (await gpuListed(smi, o.gpuTimeoutMs));
  const tags = [facts.arch, ...tools.filter((t): t is string => t !== undefined), ...(gpu ? [GPU_TAG] : [])];
  return { tags: [...new Set(tags)].sort(), facts };
}
