/**
 * An existing Express 5 service protecting its routes with gatehouse/express.
 * It opens the same database as the Gatehouse server (SQLite here; PostgreSQL
 * with a postgres:// URL) and checks session cookies, access tokens and API
 * keys itself, with no call to Gatehouse per request.
 *
 *   GATEHOUSE_MASTER_KEY=… npx tsx examples/express/orders-service.ts
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import express from 'express';
// In your service: from 'gatehouse' and 'gatehouse/express'.
import { createExpressAuth } from '../../src/express/index.js';
import { createAuthCore, openStore } from '../../src/index.js';

const data = process.env.GATEHOUSE_DATA ?? 'data';
const store = await openStore({ url: process.env.GATEHOUSE_DB ?? `sqlite:${data}/gatehouse.db` });
const auth = createExpressAuth(createAuthCore({ store }), { origins: process.env.ORIGINS?.split(',') });

const app = express();
app.get('/orders', auth.requireScope('orders:read'), (req, res) => {
  res.json({ orders: [], for: req.auth!.user?.username ?? req.auth!.clientId });
});
app.post('/orders', auth.requireScope('orders:write'), (_req, res) => {
  res.status(201).json({ created: true });
});
app.get('/reports', auth.requireRole('finance'), (_req, res) => {
  res.json({ reports: [] });
});

const tls = { cert: readFileSync(`${data}/tls/cert.pem`), key: readFileSync(`${data}/tls/key.pem`) };
createServer(tls, app).listen(Number(process.env.PORT ?? 9443), () =>
  process.stdout.write('orders service on https://localhost:9443\n'),
);
