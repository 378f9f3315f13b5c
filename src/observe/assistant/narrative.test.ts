import { describe, expect, it } from 'vitest';
import type { Diagnosis, StepDiagnosis } from '../diagnosis/index.js';
import { MAX_NARRATIVE_PROMPT_BYTES, narrativePrompt, readNarrative } from './narrative.js';

const RUN = 'mx9i63sd12ab4224';
const step = (stepId: string, lines = 2): StepDiagnosis => ({
  stepId, attempt: 1, attemptId: `${RUN}.${stepId}.1`, class: 'exit-nonzero', summary: 'it exited 3',
  evidence: Array.from({ length: lines }, (_, i) => ({ id: `e${i + 1}`, kind: 'log' as const, text: `line ${i} ${'x'.repeat(400)}`, line: i + 1, offset: i * 400 })),
  changes: { params: [], duration: {}, peakRss: {} }, similar: { signature: '', scanned: 0, truncated: false, items: [] },
  recoveries: [{ command: `baton retry ${RUN} --failed`, reason: 'again', evidence: ['e1'] }],
});
const diag = (...steps: StepDiagnosis[]): Diagnosis => ({ runId: RUN, workflow: 'w', version: 'v', state: 'failed', steps });

describe('readNarrative', () => {
  it('counts only known evidence ids, bare ones when one step failed', () => {
    const one = diag(step('a'));
    expect(readNarrative('It failed [e2] and [e9].', one, ['a'])).toMatchObject({ verified: true, cited: ['a:e2'], recoveries: [] });
    const two = diag(step('a'), step('b'));
    expect(readNarrative('It failed [e2].', two, ['a', 'b']).verified).toBe(false);
    expect(readNarrative('```json\n{"narrative": "b broke [b:e1]"}\n```', two, ['a', 'b'])).toMatchObject({ text: 'b broke [b:e1]', cited: ['b:e1'], verified: true });
  });

  it('keeps proposed recoveries that baton has and that cite evidence, and says why it drops the others', () => {
    const n = readNarrative(JSON.stringify({ narrative: 'x [a:e1]', recoveries: [
      { command: `baton retry ${RUN} --from a`, reason: 'r', evidence: ['a:e1'] },
      { command: `baton retry ${RUN} --from a`, reason: 'dup', evidence: ['a:e1'] },
      { command: `baton retry ${RUN} --failed`, reason: 'no evidence', evidence: [] },
      { command: `baton retry ${RUN} --from ghost`, reason: 'r', evidence: ['a:e1'] },
    ] }), diag(step('a')), ['a', 'z']);
    expect(n.recoveries.map((r) => r.command)).toEqual([`baton retry ${RUN} --from a`]);
    expect(n.discarded.map((d) => d.why)).toEqual(['it cites no known evidence', `run ${RUN} has no step 'ghost'`]);
  });

  it('keeps a proposal --on a tag only when a live worker of the fleet has it', () => {
    const answer = JSON.stringify({ narrative: 'x [a:e1]', recoveries: [
      { command: `baton retry ${RUN} --from a --on docker`, reason: 'r', evidence: ['a:e1'] },
      { command: `baton retry ${RUN} --from a --on gpu`, reason: 'r', evidence: ['a:e1'] },
    ] });
    const fleet = readNarrative(answer, diag(step('a')), ['a'], ['linux', 'x64', 'docker']);
    expect(fleet.recoveries.map((r) => r.command)).toEqual([`baton retry ${RUN} --from a --on docker`]);
    expect(fleet.discarded.map((d) => d.why)).toEqual(['no live worker has the tag gpu']);
    expect(readNarrative(answer, diag(step('a')), ['a']).discarded.map((d) => d.why)).toEqual(Array(2).fill('--on names worker tags, and this run has no fleet'));
  });
});

describe('narrativePrompt', () => {
  it('stays within 16 KiB, cut at whole lines, and says so', () => {
    const { messages, truncated } = narrativePrompt(diag(step('a', 30), step('b', 30)));
    const bytes = messages.reduce((n, m) => n + Buffer.byteLength(m.content), 0);
    expect(truncated).toBe(true);
    expect(bytes).toBeLessThanOrEqual(MAX_NARRATIVE_PROMPT_BYTES);
    expect(messages[1]!.content).toMatch(/\[a:e1\] \(log line 1\) line 0/);
    expect(messages[1]!.content.endsWith(`(facts cut here: the prompt is bounded to ${MAX_NARRATIVE_PROMPT_BYTES} bytes)`)).toBe(true);
  });
});
