import { Server as NetServer, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { lingerOnClose } from './lingering-close.js';

/** How long a kept-alive connection may stay idle during a stop before it is closed. */
export const DRAIN_IDLE_MS = 1000;

/** A graceful stop of one HTTPS server; see {@link trackConnections}. */
export interface GracefulStop {
  /**
   * Stops accepting connections and lets the requests in flight finish:
   * each answer from now on says `Connection: close`, after which its
   * connection closes; a connection idle for {@link DRAIN_IDLE_MS} is
   * closed; after `graceMs` whatever is left is cut. Resolves when no
   * connection is left. Closing never resets a connection with a client's
   * bytes unread (see lingering-close.ts).
   */
  drain(graceMs: number): Promise<{ cut: number }>;
}

/**
 * Tracks the server's connections and the requests in flight on each, for
 * a stop that answers everything it accepted (issue #15). Node's own
 * `server.close()` closes idle keep-alive connections at once, which races
 * a client sending its next request on one of them; here an idle
 * connection gets a moment to send it and be answered with
 * `Connection: close`. HTTP/1.1 only: an HTTP/2 server is closed by Fastify.
 */
export function trackConnections(app: FastifyInstance): GracefulStop {
  const active = new Map<Socket, number>();
  let draining = false;
  const server = app.server;
  server.on('secureConnection', (socket: Socket) => {
    active.set(socket, 0);
    socket.once('close', () => active.delete(socket));
  });
  // Before Fastify sees the request: counted from the moment it is parsed.
  server.prependListener('request', (request, response) => {
    const socket = (request as { socket: Socket }).socket;
    if (!active.has(socket)) return;
    active.set(socket, active.get(socket)! + 1);
    if (draining) response.setHeader('connection', 'close');
    response.once('close', () => {
      if (active.has(socket)) active.set(socket, active.get(socket)! - 1);
    });
  });

  const allClosed = (deadline: number) =>
    new Promise<void>((resolve) => {
      const check = () => (active.size === 0 || Date.now() >= deadline ? resolve() : setTimeout(check, 10));
      check();
    });

  return {
    async drain(graceMs) {
      draining = true;
      const deadline = Date.now() + graceMs;
      // Stop accepting, without http's pre-close step that drops idle keep-alive connections at once.
      NetServer.prototype.close.call(server);
      for (const socket of active.keys()) lingerOnClose(socket);
      await allClosed(Math.min(deadline, Date.now() + DRAIN_IDLE_MS));
      for (const [socket, requests] of active) if (requests === 0) socket.destroySoon();
      await allClosed(deadline);
      const cut = active.size;
      for (const socket of active.keys()) socket.destroy();
      return { cut };
    },
  };
}
