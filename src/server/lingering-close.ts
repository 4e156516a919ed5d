import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** How long a closing connection may still read after a 413, in all, in milliseconds (nginx's `lingering_time`). */
export const LINGER_TOTAL_MS = 30_000;

/** How long a closing connection waits for more of the body before it closes, in milliseconds (nginx's `lingering_timeout`). */
export const LINGER_IDLE_MS = 5000;

/** How often the lingering connections are looked at (one timer for all of them), in milliseconds. */
const LINGER_CHECK_MS = 100;

/**
 * At most this many connections linger at once: past it, a closing connection
 * closes at once (its client may see a reset), so that a flood of oversized
 * bodies cannot hold sockets and timers without bound.
 */
export const LINGER_MAX_CONNECTIONS = 256;

const lingering = new WeakSet<Socket>();

/** The connections lingering now, with what they had read when last looked at. */
const active = new Map<Socket, { bytesRead: number; lastReadAt: number; closeBy: number }>();
let sweep: ReturnType<typeof setInterval> | null = null;

function sweepLingering(): void {
  const now = performance.now();
  for (const [socket, state] of active) {
    if (socket.bytesRead !== state.bytesRead) {
      state.bytesRead = socket.bytesRead;
      state.lastReadAt = now;
    }
    if (now - state.lastReadAt >= LINGER_IDLE_MS || now >= state.closeBy) socket.destroy();
  }
}

/** How many connections are lingering now. */
export function lingeringConnections(): number {
  return active.size;
}

/**
 * Makes a `413 Payload Too Large` readable by every client (issues #15, #22).
 * Fastify answers a body over the limit at once, with `Connection: close`,
 * while the client is still sending; Node then closes the socket with the
 * rest of the body unread, and the kernel answers that unread data with a
 * TCP reset, which can reach the client before it reads the 413. As HTTP
 * servers have long done ("lingering close", RFC 9112 §9.6), such a
 * connection sends its answer, shuts its own side, and keeps reading and
 * discarding what the client still sends until the client closes.
 *
 * Bounded like nginx's, by time and idleness, never by bytes: a client that
 * writes its whole body before it reads (Python's `requests`, many SDKs)
 * reads its 413 however large the body, as long as it keeps sending. The
 * connection closes when the client closes, when nothing more arrived for
 * {@link LINGER_IDLE_MS}, or {@link LINGER_TOTAL_MS} after the answer. At
 * loopback speed that is over 1 GiB; a client that sends more, or slower
 * than one chunk every 5 s, may see a reset, as with nginx. At most
 * {@link LINGER_MAX_CONNECTIONS} linger at once, watched by one timer.
 * HTTP/2 streams need none of it: a stream is reset, not the connection.
 */
export function useLingeringClose(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply) => {
    if (reply.statusCode !== 413 || request.raw.httpVersionMajor !== 1) return;
    const socket = request.raw.socket as Socket | null;
    if (socket) lingerOnClose(socket);
  });
}

/**
 * Makes the socket's next close a lingering one: when Node's HTTP server
 * closes it after an answer, it shuts its own side and reads and discards
 * what the client still sends, until the client closes, it is idle for
 * {@link LINGER_IDLE_MS} or {@link LINGER_TOTAL_MS} have passed.
 */
export function lingerOnClose(socket: Socket, maxConnections = LINGER_MAX_CONNECTIONS): void {
  if (lingering.has(socket)) return;
  lingering.add(socket);
  const closeAtOnce = socket.destroySoon.bind(socket);
  // Node's HTTP server closes a `Connection: close` socket with destroySoon() once the answer is written.
  socket.destroySoon = () => {
    if (active.size >= maxConnections) return closeAtOnce();
    socket.end();
    // The HTTP parser may consume the socket in C++ (no 'data' events): the sweep watches the byte count instead.
    const now = performance.now();
    active.set(socket, { bytesRead: socket.bytesRead, lastReadAt: now, closeBy: now + LINGER_TOTAL_MS });
    sweep ??= setInterval(sweepLingering, LINGER_CHECK_MS).unref();
    socket.once('close', () => {
      active.delete(socket);
      if (active.size === 0 && sweep !== null) {
        clearInterval(sweep);
        sweep = null;
      }
    });
    // The client closed its side: it has sent everything, and had the answer.
    socket.once('end', () => socket.destroy());
    socket.resume();
  };
}
