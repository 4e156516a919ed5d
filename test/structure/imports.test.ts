import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The structure of src/, read from the import statements (type-only imports
 * included: a cycle of types is still two modules that cannot be read apart).
 */
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

/** A file's imports: relative ones resolved to files of src/, and package names. */
type Imports = { local: string[]; packages: string[] };
const graph = new Map<string, Imports>();
for (const file of sourceFiles(SRC)) {
  const text = readFileSync(file, 'utf8');
  const local: string[] = [];
  const packages: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2]!;
    if (specifier.startsWith('.')) local.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
    else packages.push(specifier);
  }
  graph.set(file, { local, packages });
}
const name = (file: string) => relative(SRC, file);

test('no import cycles in src/', () => {
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (file: string, path: string[]) => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'visiting') {
      cycles.push([...path.slice(path.indexOf(file)), file].map(name).join(' → '));
      return;
    }
    state.set(file, 'visiting');
    for (const next of graph.get(file)?.local ?? []) visit(next, [...path, file]);
    state.set(file, 'done');
  };
  for (const file of graph.keys()) visit(file, []);
  assert.deepEqual(cycles, []);
});

test('core builds no Redis-backed counter: of rate-limiter-flexible it takes only the in-memory limiter', () => {
  // The Redis limiters come from store/limiters.ts through core's LimiterFactory, as every other Redis use comes from store/.
  const IMPORT_FROM_LIMITER = /import\s+(?:type\s+)?\{([^}]*)\}\s*from\s+'rate-limiter-flexible'/g;
  const violations: string[] = [];
  for (const file of graph.keys()) {
    if (!name(file).startsWith('core/')) continue;
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT_FROM_LIMITER))
      for (const imported of match[1]!.split(',').map((item) => item.replace(/^\s*type\s+/, '').trim()))
        if (imported && imported !== 'RateLimiterMemory')
          violations.push(`${name(file)} → rate-limiter-flexible ${imported}`);
    if (
      /import\s+\*\s+as\s+\w+\s+from\s+'rate-limiter-flexible'|import\s+\w+\s+from\s+'rate-limiter-flexible'/.test(
        readFileSync(file, 'utf8'),
      )
    )
      violations.push(`${name(file)} → rate-limiter-flexible (whole package)`);
  }
  assert.deepEqual(violations, []);
});

test('dependencies point inward: core imports no HTTP framework, SQL, Redis or outer layer; store none of the HTTP layer', () => {
  const OUTER = ['wire/', 'http/', 'server/', 'store/', 'cli/', 'client/', 'express/', 'verify/'];
  const FORBIDDEN_IN_CORE = [
    'fastify',
    'express',
    'kysely',
    'pg',
    'better-sqlite3',
    'ioredis',
    'undici',
    'pino',
    'commander',
  ];
  const violations: string[] = [];
  for (const [file, { local, packages }] of graph) {
    const here = name(file);
    if (here.startsWith('core/')) {
      for (const target of local.map(name))
        if (OUTER.some((layer) => target.startsWith(layer))) violations.push(`${here} → ${target}`);
      for (const pkg of packages)
        if (
          FORBIDDEN_IN_CORE.some(
            (forbidden) => pkg === forbidden || pkg.startsWith(`${forbidden}/`) || pkg.startsWith(`@${forbidden}`),
          )
        )
          violations.push(`${here} → ${pkg}`);
    }
    if (here.startsWith('store/')) {
      for (const target of local.map(name))
        if (['http/', 'server/', 'cli/', 'express/'].some((layer) => target.startsWith(layer)))
          violations.push(`${here} → ${target}`);
    }
  }
  assert.deepEqual(violations, []);
});

/**
 * The adapters stand on core and on wire/ (answers, cookie, client
 * certificate), not on each other: express/ and verify/ import no http/
 * module and no @fastify/* package; wire/ imports only core and no framework.
 */
function adapterViolations(imports: Iterable<[string, Imports]>): string[] {
  const violations: string[] = [];
  for (const [here, { local, packages }] of imports) {
    const isAdapter = here.startsWith('express/') || here.startsWith('verify/');
    const isWire = here.startsWith('wire/');
    if (!isAdapter && !isWire) continue;
    for (const target of local) {
      if (isAdapter && target.startsWith('http/')) violations.push(`${here} → ${target}`);
      if (isWire && !target.startsWith('wire/') && !target.startsWith('core/')) violations.push(`${here} → ${target}`);
    }
    for (const pkg of packages) {
      if (pkg.startsWith('@fastify/')) violations.push(`${here} → ${pkg}`);
      if (isWire && !pkg.startsWith('node:')) violations.push(`${here} → ${pkg}`);
    }
  }
  return violations;
}

/**
 * The rooms of core: a capability is a folder of src/core/ with one index.ts
 * as its face. A file outside the folder imports the face only, never a file
 * behind it; and nothing imports upward: no file imports the index.ts of a
 * folder that holds it (its own face, an outer one, or src/index.ts), and no
 * file of a capability imports a file at core's root (createAuthCore sits
 * above every capability).
 */
function roomViolations(imports: Map<string, string[]>): string[] {
  const violations: string[] = [];
  const capability = (file: string) => /^core\/([^/]+)\/./.exec(file)?.[1];
  for (const [here, targets] of imports) {
    for (const target of targets) {
      const room = capability(target);
      if (room && capability(here) !== room && target !== `core/${room}/index.ts`)
        violations.push(`${here} → ${target} (behind core/${room}/index.ts)`);
      const folder = target.endsWith('index.ts') ? target.slice(0, -'index.ts'.length) : null;
      if (folder !== null && here.startsWith(folder)) violations.push(`${here} → ${target} (upward)`);
      else if (capability(here) && /^core\/[^/]+\.ts$/.test(target)) violations.push(`${here} → ${target} (upward)`);
    }
  }
  return violations;
}

test('express/ and verify/ import no http/ module and no @fastify/* package; wire/ only core and node:', () => {
  const named = [...graph].map(([file, { local, packages }]): [string, Imports] => [
    name(file),
    { local: local.map(name), packages },
  ]);
  assert.ok(
    named.some(([file]) => file.startsWith('wire/')),
    'src/wire/ exists',
  );
  assert.deepEqual(adapterViolations(named), []);
});

test('the adapter rule catches a violation', () => {
  assert.deepEqual(
    adapterViolations([
      ['express/index.ts', { local: ['http/problem.ts', 'wire/index.ts'], packages: ['@fastify/cookie', 'express'] }],
      ['verify/fastify.ts', { local: ['http/client-certificate.ts'], packages: ['fastify'] }],
      ['wire/answers.ts', { local: ['http/guards.ts', 'core/errors.ts'], packages: ['fastify', 'node:http'] }],
    ]),
    [
      'express/index.ts → http/problem.ts',
      'express/index.ts → @fastify/cookie',
      'verify/fastify.ts → http/client-certificate.ts',
      'wire/answers.ts → http/guards.ts',
      'wire/answers.ts → fastify',
    ],
  );
});

test('other folders use a capability of core only through its index.ts, and nothing imports upward', () => {
  const imports = new Map([...graph].map(([file, { local }]) => [name(file), local.map(name)]));
  assert.deepEqual(roomViolations(imports), []);
});

test('the room rule catches a file reached behind its face and an import upward', () => {
  const synthetic = new Map([
    ['core/index.ts', ['core/a/index.ts', 'core/b/index.ts']],
    ['core/a/index.ts', ['core/a/x.ts']],
    ['core/a/x.ts', ['core/b/index.ts', 'core/b/y.ts', 'core/a/index.ts', 'core/index.ts', 'core/store/index.ts']],
    ['core/b/index.ts', ['core/b/y.ts']],
    ['core/b/y.ts', ['core/store/users.ts']],
    ['http/plugin.ts', ['core/index.ts', 'core/b/index.ts', 'core/b/y.ts']],
    ['http/pages/z.ts', ['http/plugin.ts']],
    ['verify/fastify.ts', ['index.ts']],
  ]);
  assert.deepEqual(roomViolations(synthetic), [
    'core/a/x.ts → core/b/y.ts (behind core/b/index.ts)',
    'core/a/x.ts → core/a/index.ts (upward)',
    'core/a/x.ts → core/index.ts (upward)',
    'core/b/y.ts → core/store/users.ts (behind core/store/index.ts)',
    'http/plugin.ts → core/b/y.ts (behind core/b/index.ts)',
    'verify/fastify.ts → index.ts (upward)',
  ]);
});
