/** An option that must be a finite number above 0, as given; anything else throws naming the option. */
export function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`Expected \`${name}\` to be a finite number > 0, got ${value}`);
  return value;
}
