import { readFileSync } from 'node:fs';

/** Gatehouse's version, from package.json (two levels up from both src/server and dist/server). */
export const GATEHOUSE_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
