import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** What a closing connection may still read and throw away after a 413, at most. */
export const LINGER_BYTES = 8 * 1024 * 1024;

/** How long a closing connection may still read after a 413, at most, in milliseconds. */
export const LINGER_MS = 5000;

const lingering = new WeakSet<Socket>();

/**
 * Makes a `413 Payload Too Large` readable by every client (issue #15).
 * Fastify answers a body over the limit at once, with `Connection: close`,
 * while the client is still sending; Node then closes the socket with the
 * rest of the body unread, and the kernel answers that unread data with a
 * TCP reset, which can reach the client before it reads the 413 (half the
 * 2 MiB sign-ins of the issue saw a reset). As HTTP servers have long done
 * ("lingering close", RFC 9112 §9.6), such a connection sends its answer,
 * shuts its own side, and keeps reading and discarding what the client still
 * sends until the client closes, {@link LINGER_BYTES} are read or
 * {@link LINGER_MS} pass; beyond that bound it closes after the answer.
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
 * what the client still sends, up to {@link LINGER_BYTES} or
 * {@link LINGER_MS}, so that no unread data turns into a reset.
 */
export function lingerOnClose(socket: Socket): void {
  if (lingering.has(socket)) return;
  lingering.add(socket);
  // Node's HTTP server closes a `Connection: close` socket with destroySoon() once the answer is written.
  socket.destroySoon = () => {
    socket.end();
    const start = socket.bytesRead;
    const close = () => socket.destroy();
    const timer = setTimeout(close, LINGER_MS);
    const meter = setInterval(() => {
      if (socket.bytesRead - start > LINGER_BYTES) close();
    }, 20);
    timer.unref();
    meter.unref();
    socket.once('close', () => {
      clearTimeout(timer);
      clearInterval(meter);
    });
    // The client closed its side: it has sent everything, and had the answer.
    socket.once('end', close);
    socket.resume();
  };
}
