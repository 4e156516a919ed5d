export * from './consents.js';
