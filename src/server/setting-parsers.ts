// The parsers of the settings table (config.ts): each takes a value as a flag, a variable or the config file gives
// it, and returns it typed or throws an Error whose message completes "<key>: …".

export function text(raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '') throw new Error('must be a non-empty string');
  return raw;
}

export function integer(min: number, max: number) {
  return (raw: unknown): number => {
    const value = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw new Error(`must be a whole number from ${min} to ${max}`);
    }
    return value;
  };
}

/** A parser that accepts exactly one of `values` (case-sensitive). */
export function oneOf<T extends string>(values: readonly T[]) {
  const expected = values.length === 2 ? `${values[0]} or ${values[1]}` : `one of ${values.join(', ')}`;
  return (raw: unknown): T => {
    if (typeof raw !== 'string' || !(values as readonly string[]).includes(raw)) throw new Error(`must be ${expected}`);
    return raw as T;
  };
}

export function boolean(raw: unknown): boolean {
  if (raw === true || raw === 'true' || raw === '1') return true;
  if (raw === false || raw === 'false' || raw === '0') return false;
  throw new Error('must be true or false');
}

/** A parser of a comma-separated list (or a JSON array in the config file) whose every item matches `item`. */
export function list(item: RegExp, expected: string, normalize: (value: string) => string = (value) => value) {
  return (raw: unknown): string[] => {
    const items = Array.isArray(raw)
      ? raw
      : typeof raw === 'string'
        ? raw
            .split(',')
            .map((value) => value.trim())
            .filter(Boolean)
        : null;
    if (!items || items.length === 0 || !items.every((value) => typeof value === 'string' && item.test(value))) {
      throw new Error(`must be a comma-separated list of ${expected}`);
    }
    return (items as string[]).map(normalize);
  };
}

export function pattern(test: RegExp, expected: string) {
  return (raw: unknown): string => {
    if (typeof raw !== 'string' || !test.test(raw)) throw new Error(`must be ${expected}`);
    return raw;
  };
}
