export * from './scopes.js';
export * from './scope-registry.js';
export * from './roles.js';
