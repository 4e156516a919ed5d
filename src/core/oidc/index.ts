export * from './authorization-requests.js';
export * from './authorization-endpoint.js';
export * from './id-tokens.js';
export * from './code-grant.js';
export * from './rp-logout.js';
