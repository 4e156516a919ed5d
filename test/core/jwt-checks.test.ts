import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { certificateBindingHolds, isServiceClientToken } from '../../src/core/jwt/jwt-checks.js';

describe('token rules shared by the guard and gatehouse/verify (#23)', { timeout: 10_000 }, () => {
  test("defect 23 (client's own token rule written twice): one core function tells a client's token from a user's", () => {
    assert.equal(isServiceClientToken({ sub: 'svc', client_id: 'svc', sid: undefined }), true);
    assert.equal(isServiceClientToken({ sub: 'svc', client_id: 'svc' }), true);
    // A session, or another subject, makes it a user's token, whatever the ids look like.
    assert.equal(isServiceClientToken({ sub: 'svc', client_id: 'svc', sid: 's1' }), false);
    assert.equal(isServiceClientToken({ sub: 'user-1', client_id: 'svc' }), false);
  });

  test('defect 23 (RFC 8705 binding check written twice): one core function checks cnf x5t#S256', () => {
    const bound = { certificateThumbprint: 'A'.repeat(43) };
    let reads = 0;
    const presented = (value: string | undefined) => () => {
      reads += 1;
      return value;
    };
    assert.equal(certificateBindingHolds({}, presented(undefined)), true);
    assert.equal(reads, 0, 'an unbound token never reads the connection');
    assert.equal(certificateBindingHolds(bound, presented('A'.repeat(43))), true);
    assert.equal(certificateBindingHolds(bound, presented('B'.repeat(43))), false);
    assert.equal(certificateBindingHolds(bound, presented(undefined)), false, 'no certificate, no binding');
  });
});
