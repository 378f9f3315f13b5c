/**
 * @module web/lib/ansi
 * Log lines with ANSI colours, parsed by anser into runs of text with a class per colour:
 * React text nodes inside spans, never HTML.
 */
import Anser from 'anser';
import type { ReactNode } from 'react';

const COLOURS = new Set(['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white', 'bright-black', 'bright-red', 'bright-green', 'bright-yellow', 'bright-blue', 'bright-magenta', 'bright-cyan', 'bright-white']);

/** The class of an anser colour name (`ansi-red` → `fg-red`), or undefined for one we do not style. */
function colourClass(prefix: 'fg' | 'bg', name: string | null): string | undefined {
  if (!name) return undefined;
  const c = name.replace(/^ansi-/, '');
  return COLOURS.has(c) ? `${prefix}-${c}` : undefined;
}

/** One log line (ANSI escapes allowed) as spans of text. */
export function AnsiLine({ text }: { text: string }): ReactNode {
  if (!text.includes('\u001b')) return text;
  const parts = Anser.ansiToJson(text, { use_classes: true, remove_empty: true });
  return parts.map((p, i) => {
    const cls = [colourClass('fg', p.fg), colourClass('bg', p.bg), ...(p.decorations ?? []).filter((d) => d === 'bold' || d === 'italic' || d === 'underline' || d === 'dim').map((d) => `ansi-${d}`)].filter(Boolean).join(' ');
    return cls ? <span key={i} className={cls}>{p.content}</span> : <span key={i}>{p.content}</span>;
  });
}
