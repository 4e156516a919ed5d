import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { exportJWK, type JWK } from 'jose';
import { GatehouseError } from '../../core/errors/index.js';
import { OPERATOR } from '../../core/audit/index.js';
import { withCore, withDataFlags, type DataFlags } from '../context.js';
import { isoTime, printJSON, printTable, say } from '../output.js';

/** Reads a public key from a PEM (SPKI or certificate) or JWK file, never a private one. */
async function readPublicKey(file: string): Promise<JWK> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new GatehouseError('ERR_INVALID_CLIENT_KEY', { message: `cannot read ${file}` });
  }
  try {
    if (text.trimStart().startsWith('{')) return JSON.parse(text) as JWK;
    if (text.includes('PRIVATE KEY')) throw new Error('private');
    return await exportJWK(createPublicKey(text));
  } catch {
    throw new GatehouseError('ERR_INVALID_CLIENT_KEY', {
      message: `${file} is not a public key (PEM or JWK); never give a private key`,
    });
  }
}

function readCertificate(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new GatehouseError('ERR_VALIDATION', { message: `cannot read ${file}` });
  }
}

/** Registers `gatehouse client add|list|remove|rotate-secret`. */
export function registerClientCommand(program: Command): void {
  const client = program
    .command('client')
    .description('Manage OAuth clients: services (client credentials) and apps users sign in to (OpenID Connect)');
  const repeatable = (value: string, list: string[]) => [...list, value];

  withDataFlags(client.command('add <name>'))
    .description(
      'Register a client; prints its secret once (none for --type public, --public-key, --tls-subject or --tls-cert)',
    )
    .option(
      '--scope <scopes>',
      'space-separated scopes: a service may get registered ones without roles, metrics, introspect; an app may ask users for registered ones and for openid, profile, email, offline_access (always allowed to apps)',
      '',
    )
    .option(
      '--type <type>',
      'confidential (has a credential) or public (a browser or native app: none)',
      'confidential',
    )
    .option(
      '--redirect-uri <uri>',
      'where the authorization endpoint may send the browser back, matched exactly (repeatable); makes it an app',
      repeatable,
      [] as string[],
    )
    .option(
      '--post-logout-redirect-uri <uri>',
      'where /oauth/logout may send the browser afterwards (repeatable)',
      repeatable,
      [] as string[],
    )
    .option(
      '--grant <grants>',
      'comma-separated grants: client_credentials, authorization_code, refresh_token (default: client_credentials; with --redirect-uri authorization_code,refresh_token)',
    )
    .option('--first-party', 'an app of this deployment: its users are not asked to consent')
    .option('--id-token-alg <alg>', 'algorithm of its ID tokens: RS256 (default), ES256 or EdDSA')
    .option('--public-key <file>', 'authenticate with private_key_jwt using this public key (PEM or JWK)')
    .option(
      '--tls-subject <dn>',
      'authenticate with a certificate from the --tls-client-ca CA with this subject (tls_client_auth), e.g. "CN=orders,O=Example"',
    )
    .option(
      '--tls-cert <file>',
      'authenticate with this self-signed certificate, pinned by its SHA-256 thumbprint (self_signed_tls_client_auth)',
    )
    .option('--json', 'print {"client_id", "client_secret"} as JSON')
    .action(
      async (
        name: string,
        flags: DataFlags & {
          scope: string;
          publicKey?: string;
          tlsSubject?: string;
          tlsCert?: string;
          type: string;
          redirectUri: string[];
          postLogoutRedirectUri: string[];
          grant?: string;
          firstParty?: boolean;
          idTokenAlg?: string;
          json?: boolean;
        },
      ) => {
        const publicJwk = flags.publicKey === undefined ? undefined : await readPublicKey(flags.publicKey);
        if (flags.tlsSubject !== undefined && flags.tlsCert !== undefined)
          throw new GatehouseError('ERR_VALIDATION', { message: 'give --tls-subject or --tls-cert, not both' });
        const tls =
          flags.tlsSubject !== undefined
            ? { subject: flags.tlsSubject }
            : flags.tlsCert !== undefined
              ? { certificate: readCertificate(flags.tlsCert) }
              : undefined;
        const { client: created, secret } = await withCore(flags, (core) =>
          core.clients.createClient(
            {
              name,
              scopes: flags.scope,
              publicJwk,
              tls,
              type: flags.type as 'confidential' | 'public',
              redirectUris: flags.redirectUri,
              postLogoutRedirectUris: flags.postLogoutRedirectUri,
              grantTypes: flags.grant === undefined ? undefined : flags.grant.split(','),
              firstParty: flags.firstParty,
              idTokenAlg: flags.idTokenAlg,
            },
            OPERATOR,
          ),
        );
        if (flags.json)
          return printJSON({
            client_id: created.id,
            client_secret: secret,
            scope: created.scopes.join(' '),
            type: created.type,
            grant_types: created.grantTypes,
            redirect_uris: created.redirectUris,
          });
        say(`client ${created.name}: client_id ${created.id}`);
        if (secret !== null) say(`client_secret ${secret}\n(shown once: store it now; only its hash is kept)`);
      },
    );

  withDataFlags(client.command('list'))
    .description('List clients: services and apps')
    .option('--json', 'print JSON')
    .action(async (flags: DataFlags & { json?: boolean }) => {
      const clients = await withCore(flags, (core) => core.clients.listClients());
      const rows = clients.map((item) => ({
        client_id: item.id,
        name: item.name,
        type: item.type,
        scope: item.scopes.join(' '),
        grant_types: item.grantTypes,
        redirect_uris: item.redirectUris,
        post_logout_redirect_uris: item.postLogoutRedirectUris,
        first_party: item.firstParty,
        auth_methods: item.authMethods,
        createdAt: isoTime(item.createdAt),
      }));
      if (flags.json) return printJSON(rows);
      printTable(
        ['NAME', 'CLIENT ID', 'TYPE', 'GRANTS', 'SCOPE', 'AUTH', 'CREATED'],
        rows.map((row) => [
          row.name,
          row.client_id,
          row.type,
          row.grant_types.join(','),
          row.scope || '-',
          row.auth_methods.join(','),
          row.createdAt,
        ]),
      );
    });

  withDataFlags(client.command('remove <name>'))
    .description('Remove a client (by name or client_id): its tokens, consents and refresh tokens end')
    .action(async (name: string, flags: DataFlags) => {
      await withCore(flags, (core) => core.clients.removeClient(name, OPERATOR));
      say(`removed client ${name}`);
    });

  withDataFlags(client.command('rotate-secret <name>'))
    .description('Give a client a new secret; the old one stops working at once')
    .option('--json', 'print {"client_id", "client_secret"} as JSON')
    .action(async (name: string, flags: DataFlags & { json?: boolean }) => {
      const { client: rotated, secret } = await withCore(flags, (core) =>
        core.clients.rotateClientSecret(name, OPERATOR),
      );
      if (flags.json) return printJSON({ client_id: rotated.id, client_secret: secret });
      say(`client_secret ${secret}\n(shown once: store it now; only its hash is kept)`);
    });
}
