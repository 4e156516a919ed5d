export * from './authorization.js';
export * from './credentials.js';
