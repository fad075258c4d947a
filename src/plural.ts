/** `noun` in the number `n` asks for: `file` or `files`, `pass` or `passes`. */
export function plural(n: number, noun: string): string {
  if (n === 1) return noun;
  return /(s|x|z|ch|sh)$/.test(noun) ? `${noun}es` : `${noun}s`;
}

/** `n` with its noun: `1 file`, `2 files`. */
export function count(n: number, noun: string): string {
  return `${n} ${plural(n, noun)}`;
}
