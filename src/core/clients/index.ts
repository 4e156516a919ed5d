export * from './clients.js';
export * from './redirect-uris.js';
