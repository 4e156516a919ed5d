export * from './keys.js';
export * from './jwt-checks.js';
export * from './jwt-sign.js';
