/**
 * A reply as plain values, for any framework: the status, the headers (lower
 * case names) and the body, which the adapter serializes as JSON.
 */
export interface Answer<Body = unknown> {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: Body;
}
