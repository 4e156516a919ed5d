export * from './passwords.js';
export * from './hash-queue.js';
