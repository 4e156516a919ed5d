/**
 * The value of the cookie `name` in a `Cookie` header, or `undefined`. Read
 * as the `cookie` package reads it (RFC 6265 §5.4): pairs split on `;`,
 * spaces and tabs around names and values dropped, the first pair of a name
 * wins, a value with `%` URL-decoded when it decodes.
 *
 * @example
 * readCookie('a=1; __Host-gatehouse=abc', '__Host-gatehouse') // 'abc'
 */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals === -1 || trim(pair.slice(0, equals)) !== name) continue;
    return decode(trim(pair.slice(equals + 1)));
  }
  return undefined;
}

function trim(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, '');
}

function decode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
