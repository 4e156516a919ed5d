import pino from 'pino';

/** Bytes of log lines gathered before one write to standard output. */
const BUFFER_BYTES = 4096;
/** Longest a line waits in the buffer when traffic is light. */
const FLUSH_INTERVAL_MS = 1000;

/**
 * Standard output for the log, written in batches: one system call per 4 KiB
 * of lines (or per second) instead of one per line. With an access-log line
 * per request, writing each line on its own measured a sixth of the server's
 * throughput (see docs/benchmarks.md). Lines are flushed at close and at
 * exit, so a clean stop loses none; a hard crash may lose the last second.
 */
export function createLogDestination(): { stream: NodeJS.WritableStream; close(): void } {
  const destination = pino.destination({ dest: 1, minLength: BUFFER_BYTES, sync: false });
  const flush = () => {
    try {
      destination.flushSync();
    } catch {
      // Not ready yet (the first write opens the descriptor) or already closed: nothing to flush.
    }
  };
  const timer = setInterval(() => destination.flush(), FLUSH_INTERVAL_MS);
  timer.unref();
  process.once('exit', flush);
  return {
    stream: destination as unknown as NodeJS.WritableStream,
    close() {
      clearInterval(timer);
      process.off('exit', flush);
      flush();
    },
  };
}
