import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

/** One line of the result table. */
export interface Row {
  id: string;
  label: string;
  /** Requests per second (median run). */
  rps: number;
  p50: number;
  p99: number;
  /** Requests per second of each round, in the order run. */
  runs?: number[];
  /** This scenario divided by `of`, both from this run. */
  ratio?: { of: string; value: number; target?: string; met?: boolean };
}

/** Everything a run measured; written to bench/results/latest.json. */
export interface Report {
  date: string;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string };
  command: string;
  settings: { rounds: number; seconds: number; connections: number };
  rows: Row[];
  extra: Record<string, unknown>;
  skipped: string[];
}

/** The machine this run is on. */
export function describeMachine(): Report['machine'] {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

/** The table printed at the end of a run (also pasted into docs/benchmarks.md). */
export function formatTable(report: Report): string {
  const lines = ['| scenario | req/s | p50 ms | p99 ms | ratio | target |', '|---|---:|---:|---:|---|---|'];
  for (const row of report.rows) {
    const ratio = row.ratio ? `${row.ratio.value.toFixed(2)}× ${row.ratio.of}` : '';
    const target = row.ratio?.target ? `${row.ratio.target} ${row.ratio.met ? '✔' : '✘ not met'}` : '';
    lines.push(`| ${row.label} | ${Math.round(row.rps)} | ${row.p50} | ${row.p99} | ${ratio} | ${target} |`);
  }
  return lines.join('\n');
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A horizontal bar chart of requests per second, as SVG (no dependency, readable on GitHub). */
export function renderChart(report: Report): string {
  const rows = report.rows.filter((row) => row.rps > 0);
  const max = Math.max(...rows.map((row) => row.rps));
  const labelWidth = 380;
  const barWidth = 420;
  const rowHeight = 26;
  const height = 70 + rows.length * rowHeight;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barWidth + 110}" height="${height}" font-family="sans-serif" font-size="13">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">Requests per second over HTTPS (median of ${report.settings.rounds} × ${report.settings.seconds} s, ${report.settings.connections} connections)</text>`,
    `<text x="10" y="42" fill="#555">${escape(`${report.machine.cores} × ${report.machine.cpu}, Node ${report.machine.node}, ${report.date.slice(0, 10)}`)}</text>`,
  ];
  rows.forEach((row, index) => {
    const y = 55 + index * rowHeight;
    const width = Math.max(1, (row.rps / max) * barWidth);
    const peer = row.id.startsWith('peer-') || row.id === 'fastify-hello';
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${escape(row.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 3}" width="${width.toFixed(1)}" height="${rowHeight - 8}" fill="${peer ? '#9aa5b1' : '#2f6fb3'}"/>`,
      `<text x="${labelWidth + width + 6}" y="${y + 16}">${Math.round(row.rps)}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Writes latest.json and latest.svg under `dir`. */
export function writeReport(dir: string, report: Report): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, 'latest.svg'), renderChart(report));
}

/** The figures that are not requests per second, as a second table. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the bench's extra figures are loose JSON
export function formatExtras(extra: Record<string, any>): string {
  const lines = ['| measure | result | target |', '|---|---|---|'];
  const mark = (met: boolean | undefined) => (met === undefined ? '' : met ? '✔' : '✘ not met');
  if (extra.cookieVsExpress) {
    lines.push(
      `| session cookie vs Express + express-session + passport | ${extra.cookieVsExpress.value.toFixed(1)}× | ≥ 3× ${mark(extra.cookieVsExpress.met)} |`,
    );
  }
  if (extra.login) {
    lines.push(
      `| sign-ins (Argon2id, 8 connections) | ${Math.round(extra.login.loginsPerSecond)}/s, p50 ${extra.login.p50} ms, p99 ${extra.login.p99} ms | |`,
    );
  }
  if (extra.loginFlood) {
    const flood = extra.loginFlood;
    const rounds = flood.rounds.map((round: { p99: number }) => round.p99).join(' / ');
    const answers = Object.entries(flood.logins as Record<string, number>)
      .map(([status, count]) => `${count} × ${status}`)
      .join(', ');
    lines.push(
      `| signed-in requests (500/s) during a sign-in flood (64 connections, 2,000/s) | p50 ${flood.p50} ms, p99 ${flood.p99} ms (rounds, sorted: ${rounds}), ${flood.failed} failed of ${flood.served}; flood answered ${answers} | p99 ≤ 50 ms, none failed ${mark(flood.met)} |`,
    );
  }
  if (extra.memory) {
    const [small, large] = extra.memory.results;
    lines.push(
      `| resident memory, 10k → 1M stored sessions (SQLite) | ${small.rssMiB} → ${large.rssMiB} MiB (${((extra.memory.growth - 1) * 100).toFixed(1)}%) | ±10% ${mark(extra.memory.met)} |`,
    );
  }
  if (extra.coldStart) {
    lines.push(
      `| cold start, \`gatehouse serve\` to first 200 on /healthz | ${extra.coldStart.ms} ms | < 1000 ms ${mark(extra.coldStart.met)} |`,
    );
  }
  return lines.join('\n');
}
