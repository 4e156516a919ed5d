export * from './users.js';
export * from './usernames.js';
