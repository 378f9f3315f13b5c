/**
 * @module observe/channels/slack
 * The Slack-compatible webhook body (`format: slack`) of a rendered notification: `text` as
 * the fallback for notifications and old clients, and Block Kit `blocks` — a header, the
 * headline, one section per alert or run with its fields and a link button, and a button to
 * the dashboard. Works with Slack incoming webhooks and the many chat tools that accept the
 * same body (Mattermost, Rocket.Chat, Discord's `/slack` endpoint).
 * @see https://api.slack.com/reference/block-kit/blocks (limits: 50 blocks, header 150 characters, 10 fields of 2000, section text 3000)
 * @see https://api.slack.com/reference/surfaces/formatting#escaping (`&`, `<`, `>` in mrkdwn)
 */
import type { RenderedNotification, RenderedSection } from './render.js';
import { oneLine } from './render.js';

/** A Block Kit block, as JSON. */
export type SlackBlock = Record<string, unknown>;

/** The body of a Slack incoming-webhook POST. */
export interface SlackBody {
  text: string;
  blocks: SlackBlock[];
}

/** Slack's limits on one button's URL, characters. */
const MAX_URL = 3000;

/**
 * The Slack body of a notification read by `renderText`. User data (summaries, errors) is
 * escaped, so a summary holding `<!channel>` shows as text instead of paging everyone.
 */
export function slackBody(r: RenderedNotification): SlackBody {
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: oneLine(r.subject, 150), emoji: false } },
    { type: 'section', text: mrkdwn(escape(r.headline)) },
    ...r.sections.map(sectionBlock),
  ];
  if (r.omitted > 0) blocks.push({ type: 'context', elements: [mrkdwn(`… and ${r.omitted} more`)] });
  const dashboard = linkable(r.url);
  if (dashboard) blocks.push({ type: 'actions', elements: [button('Open the dashboard', dashboard)] });
  return { text: oneLine(`${r.subject} — ${r.headline}`, 3000), blocks };
}

function sectionBlock(s: RenderedSection): SlackBlock {
  const block: SlackBlock = {
    type: 'section',
    text: mrkdwn(`*${escape(oneLine(s.title, 2900))}*`),
  };
  if (s.fields.length) block.fields = s.fields.slice(0, 10).map((f) => mrkdwn(`*${escape(f.label)}*\n${escape(oneLine(f.value, 1900))}`));
  const url = linkable(s.url);
  if (url) block.accessory = button('Open', url);
  return block;
}

function button(text: string, url: string): SlackBlock {
  return { type: 'button', text: { type: 'plain_text', text }, url };
}

function mrkdwn(text: string): { type: 'mrkdwn'; text: string } {
  return { type: 'mrkdwn', text };
}

/** Slack's three control characters in mrkdwn, as it asks them to be escaped. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The URL when Slack would take it for a button: http(s), at most 3000 characters. */
function linkable(url: string | undefined): string | undefined {
  if (url === undefined || url.length > MAX_URL) return undefined;
  return /^https?:\/\//i.test(url) ? url : undefined;
}
