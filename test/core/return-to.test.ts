import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { protectedSiteReturn, resumePath, signInReturnTarget } from '../../src/core/sign-in/return-to.js';

const INTERACTION = 'a'.repeat(43);
const ORIGINS = ['https://app.example.com'];

describe('the sign-in return rule, in core (#23)', { timeout: 10_000 }, () => {
  test('defect 23 (return_to rule in a route module): one core function decides for the pages and forward auth', () => {
    const resume = resumePath('/auth/', INTERACTION);
    assert.equal(resume, `/auth/oauth/authorize/resume?interaction=${INTERACTION}`);
    const options = { origins: ORIGINS, pagesBase: '/auth/' };
    assert.equal(signInReturnTarget({ return_to: resume }, options), resume);
    // Another mount's resume path, a short id, or an extra parameter is not this server's.
    assert.equal(signInReturnTarget({ return_to: resumePath('/', INTERACTION) }, options), null);
    assert.equal(signInReturnTarget({ return_to: resumePath('/auth/', 'short') }, options), null);
    assert.equal(signInReturnTarget({ return_to: `${resume}&x=1` }, options), null);
    // A protected site of a configured origin, https only, without credentials, normalised.
    assert.equal(signInReturnTarget({ return_to: 'https://app.example.com' }, options), 'https://app.example.com/');
    assert.equal(signInReturnTarget({ rd: 'https://app.example.com/x' }, options), 'https://app.example.com/x');
    assert.equal(signInReturnTarget({ return_to: 'http://app.example.com/' }, options), null);
    assert.equal(signInReturnTarget({ return_to: 'https://u:p@app.example.com/' }, options), null);
    assert.equal(signInReturnTarget({ return_to: 'https://evil.example.com/' }, options), null);
    assert.equal(signInReturnTarget({ return_to: '//evil.example.com/' }, options), null);
    assert.equal(signInReturnTarget({ return_to: `https://app.example.com/${'a'.repeat(2048)}` }, options), null);
    assert.equal(signInReturnTarget({ return_to: ['https://app.example.com/'] }, options), null);
    assert.equal(signInReturnTarget(undefined, options), null);
    // Without configured origins, no protected site is a return target; rd wins over return_to.
    assert.equal(protectedSiteReturn({ rd: 'https://app.example.com/' }, undefined), null);
    assert.equal(
      protectedSiteReturn({ rd: 'https://evil.example.com/', return_to: 'https://app.example.com/' }, ORIGINS),
      null,
    );
  });
});
