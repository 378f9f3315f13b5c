/**
 * @module observe/assistant
 * The optional language model (OpenAI-compatible chat completions), only when configured:
 * a narrative of `baton explain` grounded in the deterministic diagnosis, `baton draft` and
 * `baton adapt`. Nothing here decides anything baton's own checks have not checked.
 */
export { Assistant, AssistantConfigError, AssistantError, assistantConfig, DEFAULT_LLM_TIMEOUT_MS } from './client.js';
export type { AssistantConfig, ChatMessage, ChatOptions, Exchange } from './client.js';
export { MAX_NARRATIVE_PROMPT_BYTES, narrate, narrativePrompt, readNarrative } from './narrative.js';
export type { Narrative, NarrativeOutcome, ProposedRecovery } from './narrative.js';
export { draftExamples, draftWorkflow, MAX_DRAFT_PROMPT_BYTES, MAX_DRAFT_REPAIRS, MAX_EXAMPLE_BYTES, repairRequest, yamlOf } from './draft.js';
export type { DraftExample, DraftOptions, DraftResult } from './draft.js';
export { adaptCandidates, adaptWorkflow, MAX_ADAPT_PROMPT_BYTES, PLATFORMS, unifiedDiff } from './adapt.js';
export type { AdaptCandidate, AdaptResult, Platform } from './adapt.js';
