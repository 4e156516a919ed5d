import type { FastifyInstance } from 'fastify';
import secureJson from 'secure-json-parse';

// fatal: invalid UTF-8 is an error, never silently U+FFFD. Two different byte
// strings must not become the same username or password.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function badRequest(message: string): Error {
  return Object.assign(new Error(message), { statusCode: 400 });
}

function decode(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    throw badRequest('The request body is not valid UTF-8.');
  }
}

/**
 * Parses `application/x-www-form-urlencoded` strictly: percent-escapes must
 * decode to valid UTF-8 (decodeURIComponent throws where URLSearchParams and
 * fast-querystring would substitute U+FFFD), a repeated field becomes an
 * array (which the route schemas then refuse), and the result has no
 * prototype to pollute.
 */
export function parseFormStrict(text: string): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = Object.create(null);
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const [rawKey, rawValue] = equals < 0 ? [pair, ''] : [pair.slice(0, equals), pair.slice(equals + 1)];
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey.replaceAll('+', ' '));
      value = decodeURIComponent(rawValue.replaceAll('+', ' '));
    } catch {
      throw badRequest('The form body has an invalid percent-escape.');
    }
    const existing = result[key];
    result[key] = existing === undefined ? value : ([] as string[]).concat(existing, value);
  }
  return result;
}

/**
 * Replaces a context's body parsers with strict JSON and form parsers: only
 * these two content types are accepted (anything else is a 415), bodies must
 * be valid UTF-8, and JSON with `__proto__` or `constructor.prototype` keys is
 * refused (secure-json-parse).
 */
export function useStrictBodyParsers(app: FastifyInstance, options: { json: boolean } = { json: true }): void {
  app.removeAllContentTypeParsers();
  if (options.json) {
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
      try {
        const text = decode(body as Buffer);
        if (text.trim() === '') throw badRequest('The JSON body is empty.');
        done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
      } catch (error) {
        done(Object.assign(error as Error, { statusCode: 400 }), undefined);
      }
    });
  }
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseFormStrict(decode(body as Buffer)));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
