import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * A block of a docs page rendered from test data, between
 * `<!-- NAME: rendered from SOURCE -->` and `<!-- /NAME -->`: tests hold
 * the page to the data, and `--write` renders it again.
 */
export interface DocsBlock {
  /** The block as the page holds it now, or `null` when the page has no such block. */
  read(): string | null;
  /** Writes `content` between the markers. */
  write(content: string): void;
}

/** The block `name` of `docs/<page>`, rendered from `source` (a path from the repository's root). */
export function docsBlock(page: string, name: string, source: string): DocsBlock {
  const file = fileURLToPath(new URL(`../../docs/${page}`, import.meta.url));
  const start = `<!-- ${name}: rendered from ${source} -->`;
  const end = `<!-- /${name} -->`;
  const locate = (text: string) => {
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    return from < 0 || to < 0 ? null : { from: from + start.length, to };
  };
  return {
    read() {
      const text = readFileSync(file, 'utf8');
      const found = locate(text);
      return found && text.slice(found.from, found.to).trim();
    },
    write(content) {
      const text = readFileSync(file, 'utf8');
      const found = locate(text);
      if (!found) throw new Error(`docs/${page} has no ${start} … ${end} block`);
      writeFileSync(file, `${text.slice(0, found.from)}\n${content}\n${text.slice(found.to)}`);
    },
  };
}

/** True when `moduleUrl` is the script node runs and `--write` was given: render the block again. */
export function askedToWrite(moduleUrl: string): boolean {
  return process.argv[1] === fileURLToPath(moduleUrl) && process.argv.includes('--write');
}
