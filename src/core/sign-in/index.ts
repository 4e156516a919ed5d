export * from './throttle.js';
export * from './login-throttle.js';
export * from './attempt-keys.js';
export * from './device-cookies.js';
export * from './two-factor.js';
export * from './basic-auth.js';
export * from './login.js';
export * from './return-to.js';
