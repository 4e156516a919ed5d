export * from './clock.js';
export * from './bounded-cache.js';
export * from './secrets.js';
