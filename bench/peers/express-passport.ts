/**
 * The common Node stack, for comparison: Express 5 + express-session
 * (MemoryStore) + passport-local over HTTPS, protecting `/get-info` the way
 * its guides do (`req.isAuthenticated()`). Its password check is a plain
 * comparison: only the protected request is compared, not login cost.
 */
import { createServer } from 'node:https';
import { timingSafeEqual } from 'node:crypto';
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import { announce, peerTLS } from './tls.js';

const users = new Map([['bench', { id: 'bench', password: Buffer.from('bench password 1') }]]);

passport.use(
  new LocalStrategy((username, password, done) => {
    const user = users.get(username);
    const given = Buffer.from(password);
    if (!user || given.length !== user.password.length || !timingSafeEqual(given, user.password))
      return done(null, false);
    return done(null, { id: user.id });
  }),
);
passport.serializeUser((user, done) => done(null, (user as { id: string }).id));
passport.deserializeUser((id: string, done) => done(null, users.has(id) ? { id } : false));

const app = express();
app.set('trust proxy', false);
app.use(express.urlencoded({ extended: false }));
app.use(
  session({
    secret: 'bench-only-secret',
    resave: false,
    saveUninitialized: false,
    cookie: { secure: true, httpOnly: true, sameSite: 'lax' },
  }),
);
app.use(passport.session());
app.post('/login', passport.authenticate('local'), (_request, response) => {
  response.json({ ok: true });
});
app.get('/get-info', (request, response) => {
  if (!request.isAuthenticated()) {
    response.status(401).json({ error: 'unauthenticated' });
    return;
  }
  response.json({ 'Secret-number': 42 });
});
const server = createServer(peerTLS(), app);
server.listen(0, '127.0.0.1', () => announce((server.address() as { port: number }).port));
