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

/** Every file's imports: relative ones resolved to files of src/, and package names. */
const graph = new Map<string, { local: string[]; packages: string[] }>();
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
  const OUTER = ['http/', 'server/', 'store/', 'cli/', 'client/', 'express/', 'verify/'];
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
