// Helpers shared by the benchmark scripts: command-line options and how figures are summed up.

const args = process.argv.slice(2);

/** The value after `--name` on the command line, or `dflt`. */
export const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};

/** Whether `--name` is on the command line. */
export const flag = (name) => args.includes(`--${name}`);

/** The median of some numbers (the mean of the middle two for an even count). */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** A number with thousands separators and `d` decimals. */
export const fmt = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
