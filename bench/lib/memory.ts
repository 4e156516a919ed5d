import { randomBytes, randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { createSecret, hashSecret } from '../../src/core/shared/secrets.js';

/**
 * Fills the SQLite database at `file` with `count` live sessions of the user
 * `username` and returns the tokens of `sample` of them (the others are
 * random digests: only their rows matter). Written straight through
 * better-sqlite3 in one transaction: a million logins would take hours.
 */
export function seedSessions(file: string, username: string, count: number, sample: number): string[] {
  const db = new Database(file);
  try {
    const user = db.prepare('SELECT id FROM users WHERE username = ?').get(username) as { id: string };
    const insert = db.prepare(
      'INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const now = Date.now();
    const tokens: string[] = [];
    db.transaction(() => {
      for (let index = 0; index < count; index += 1) {
        let hash: string;
        if (index < sample) {
          const token = createSecret();
          tokens.push(token);
          hash = hashSecret(token);
        } else {
          hash = randomBytes(32).toString('base64url');
        }
        insert.run(randomUUID(), hash, user.id, now, now, now + 1_800_000, '127.0.0.1', 'bench');
      }
    })();
    return tokens;
  } finally {
    db.close();
  }
}
