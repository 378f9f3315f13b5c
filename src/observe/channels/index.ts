/**
 * @module observe/channels
 * Notification channels: what takes one notification and delivers it once, answering with
 * a `DeliveryOutcome` the delivery queue retries by. Webhook (HTTP POST), email
 * (SMTP) and command (a shell command); the alert lifecycle decides what to send and when.
 */
import { ChannelError } from './errors.js';
import { createCommandChannel } from './command.js';
import { createEmailChannel } from './email.js';
import { createWebhookChannel } from './webhook.js';
import type { Channel, ChannelSpec } from './types.js';

export * from './types.js';
export { ChannelError } from './errors.js';
export type { ChannelProblem } from './errors.js';
export { renderText, formatDuration, MAX_SECTIONS } from './render.js';
export type { RenderedNotification, RenderedSection, RenderedField } from './render.js';
export { renderHtml, escapeHtml } from './html.js';
export { slackBody } from './slack.js';
export type { SlackBody, SlackBlock } from './slack.js';
export { createWebhookChannel, webhookBody, isRetryableStatus, EVENT_HEADER } from './webhook.js';
export type { WebhookSpec } from './webhook.js';
export { createEmailChannel, messageIdFor, emailSubject } from './email.js';
export type { EmailSpec } from './email.js';
export { createCommandChannel, commandEnvironment, isRetryableExit, EX_TEMPFAIL, MAX_CAPTURED_BYTES } from './command.js';
export type { CommandSpec, CommandChannelOptions } from './command.js';
export { MAX_ERROR_CHARS } from './outcome.js';

/**
 * The channel a compiled spec describes. Sending never throws; every failure is a
 * `DeliveryOutcome` whose error passed through `spec.mask`.
 * @throws ChannelError `channel-invalid` for a spec of no known type or a webhook URL that is not http(s).
 */
export function createChannel(spec: ChannelSpec): Channel {
  switch (spec.type) {
    case 'webhook':
      return createWebhookChannel(spec);
    case 'email':
      return createEmailChannel(spec);
    case 'command':
      return createCommandChannel(spec);
    default: {
      const type = (spec as { type?: unknown }).type;
      throw new ChannelError('channel-invalid', `channel ${(spec as { name?: string }).name ?? '?'}: type must be webhook, email or command, not ${JSON.stringify(type)}`);
    }
  }
}
