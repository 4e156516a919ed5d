export * from './access-tokens.js';
export * from './refresh-tokens.js';
export * from './api-keys.js';
export * from './grant-result.js';
export * from './user-client.js';
