/**
 * @module workflow/size
 * Byte sizes as authors write them (`10MiB`, `512KiB`, `2MB`, a bare number of bytes).
 */

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1_000, mb: 1_000_000, gb: 1_000_000_000,
  kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3,
};

const SIZE_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

/**
 * A byte size: a non-negative integer number of bytes, or a number followed by `B`, `KB`,
 * `MB`, `GB` (powers of 1000) or `KiB`, `MiB`, `GiB` (powers of 1024), case-insensitive.
 * The result is rounded down to whole bytes.
 * @returns bytes, or undefined when the text is not a size.
 * @example parseByteSize('10MiB') // 10485760
 */
export function parseByteSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const m = SIZE_PATTERN.exec(value);
  if (!m) return undefined;
  const factor = UNITS[(m[2] ?? '').toLowerCase() || 'b'];
  if (factor === undefined) return undefined;
  return Math.floor(Number.parseFloat(m[1] ?? '') * factor);
}
