import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** How long a closing connection may still read after a 413, in all, in milliseconds (nginx's `lingering_time`). */
export const LINGER_TOTAL_MS = 30_000;

/** How long a closing connection waits for more of the body before it closes, in milliseconds (nginx's `lingering_timeout`). */
export const LINGER_IDLE_MS = 5000;

/** How often a lingering connection looks at what it has read, in milliseconds. */
const LINGER_CHECK_MS = 100;

const lingering = new WeakSet<Socket>();

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
 * than one chunk every 5 s, may see a reset, as with nginx.
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
export function lingerOnClose(socket: Socket): void {
  if (lingering.has(socket)) return;
  lingering.add(socket);
  // Node's HTTP server closes a `Connection: close` socket with destroySoon() once the answer is written.
  socket.destroySoon = () => {
    socket.end();
    const close = () => socket.destroy();
    const total = setTimeout(close, LINGER_TOTAL_MS);
    // The HTTP parser may consume the socket in C++ (no 'data' events): watch the byte count instead.
    let bytesRead = socket.bytesRead;
    let lastReadAt = performance.now();
    const idle = setInterval(() => {
      if (socket.bytesRead !== bytesRead) {
        bytesRead = socket.bytesRead;
        lastReadAt = performance.now();
      } else if (performance.now() - lastReadAt >= LINGER_IDLE_MS) close();
    }, LINGER_CHECK_MS);
    total.unref();
    idle.unref();
    socket.once('close', () => {
      clearTimeout(total);
      clearInterval(idle);
    });
    // The client closed its side: it has sent everything, and had the answer.
    socket.once('end', close);
    socket.resume();
  };
}
