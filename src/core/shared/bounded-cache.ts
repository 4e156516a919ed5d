/**
 * A map with a size bound and a time to live, for the hot path: when full,
 * the oldest entry goes (first in, first out: no bookkeeping on a hit); an
 * entry past its deadline is never returned. Memory stays bounded whatever
 * the traffic, which is the point: an unbounded cache is a memory leak an
 * attacker can drive.
 */
export class BoundedCache<K, V> {
  readonly #entries = new Map<K, { value: V; until: number }>();
  readonly #maxEntries: number;

  /** @param maxEntries Most entries kept (at least 1). */
  constructor(maxEntries: number) {
    if (!(Number.isSafeInteger(maxEntries) && maxEntries >= 1))
      throw new RangeError('maxEntries must be a positive integer');
    this.#maxEntries = maxEntries;
  }

  /** The value, if present and `now` is before its deadline. */
  get(key: K, now: number): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (now >= entry.until) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Keeps `value` until `until` (exclusive), evicting the oldest entry when full. */
  set(key: K, value: V, until: number): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value as K);
    this.#entries.set(key, { value, until });
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  /** Deletes every entry whose value matches. O(size): for rare events such as a revocation. */
  deleteWhere(matches: (value: V) => boolean): void {
    for (const [key, entry] of this.#entries) if (matches(entry.value)) this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
