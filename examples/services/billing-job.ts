/**
 * A service that calls another service: it gets an access token from
 * Gatehouse with client_credentials, then calls the orders service with it.
 *
 *   GATEHOUSE_URL=https://localhost:8443 GATEHOUSE_CA=data/tls/cert.pem \
 *   CLIENT_ID=... CLIENT_SECRET=... ORDERS_URL=https://127.0.0.1:PORT ORDERS_CA=orders-ca.pem \
 *   npx tsx examples/services/billing-job.ts
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';

const gatehouse = process.env.GATEHOUSE_URL ?? 'https://localhost:8443';
const gatehouseAgent = new Agent({ connect: { ca: readFileSync(process.env.GATEHOUSE_CA ?? 'data/tls/cert.pem') } });
const ordersAgent = new Agent({ connect: { ca: readFileSync(process.env.ORDERS_CA!) } });

// RFC 6749 §4.4 with client_secret_basic (RFC 6749 §2.3.1).
const credentials = Buffer.from(
  `${encodeURIComponent(process.env.CLIENT_ID!)}:${encodeURIComponent(process.env.CLIENT_SECRET!)}`,
).toString('base64');
const tokenResponse = await request(`${gatehouse}/oauth/token`, {
  method: 'POST',
  dispatcher: gatehouseAgent,
  headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read' }).toString(),
});
const token = (await tokenResponse.body.json()) as { access_token?: string; error?: string };
if (!token.access_token) throw new Error(`token request failed: ${token.error}`);

const orders = await request(`${process.env.ORDERS_URL}/orders`, {
  dispatcher: ordersAgent,
  headers: { authorization: `Bearer ${token.access_token}` },
});
process.stdout.write(`${orders.statusCode} ${await orders.body.text()}\n`);
await gatehouseAgent.close();
await ordersAgent.close();
