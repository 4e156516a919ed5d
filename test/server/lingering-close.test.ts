import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { lingerOnClose, lingeringConnections } from '../../src/server/lingering-close.js';

/**
 * The lingering close's bound on connections (issue #22, found in review):
 * a flood of oversized bodies must not hold sockets without end. A plain TCP
 * server answers each connection at once and closes it as Node's HTTP server
 * does after a 413 (destroySoon); its clients keep sending after the answer,
 * as a client that writes its whole body first does.
 */
const until = async (done: () => boolean, what: string) => {
  const deadline = Date.now() + 5000;
  while (!done()) {
    assert.ok(Date.now() < deadline, `timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('lingering close', { timeout: 30_000 }, () => {
  test('at most the bound lingers at once; past it a connection closes at once; each ends with its client', async () => {
    const accepted: Socket[] = [];
    const server = createServer((socket) => {
      accepted.push(socket);
      lingerOnClose(socket, 2);
      socket.write('HTTP/1.1 413 Payload Too Large\r\nconnection: close\r\n\r\n');
      socket.destroySoon();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const clients: Socket[] = [];
    try {
      for (let index = 0; index < 3; index += 1) {
        // Half-open, like a client still sending its body after the server's answer and FIN.
        const client = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
        clients.push(client);
        client.on('error', () => undefined);
        await once(client, 'data');
        client.write(Buffer.alloc(64 * 1024));
        await until(() => accepted.length === index + 1, 'the connection is accepted');
      }
      await until(() => accepted[2]!.destroyed, 'the third connection, past the bound, closes at once');
      assert.equal(lingeringConnections(), 2, 'the first two linger');
      assert.deepEqual(
        accepted.slice(0, 2).map((socket) => socket.destroyed),
        [false, false],
        'and still read',
      );
      for (const client of clients.slice(0, 2)) client.write(Buffer.alloc(1024));
      // Their clients close: the lingering ends with them.
      for (const client of clients.slice(0, 2)) client.end();
      await until(() => lingeringConnections() === 0, 'every lingering connection ends with its client');
      assert.ok(accepted.every((socket) => socket.destroyed));
    } finally {
      for (const client of clients) client.destroy();
      server.close();
    }
  });
});
