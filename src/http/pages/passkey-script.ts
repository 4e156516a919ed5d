/**
 * The pages' passkey script, served as `assets/passkeys.js` (same origin,
 * so the CSP's `script-src 'self'` admits it; nothing inline). It fetches
 * the ceremony's options from the JSON API (`connect-src 'self'`), runs
 * `navigator.credentials`, and posts the answer with the page's own form,
 * so that the page routes answer as for any other form (redirects, errors).
 *
 * - `#passkey-form` (sign-in, and the second step of a password sign-in):
 *   the "Sign in with a passkey" button, and conditional UI (the browser
 *   offers passkeys in the autofill of an `autocomplete="… webauthn"` field).
 * - `#passkey-add` (account page): "Add a passkey".
 *
 * Base64url is converted by hand, so that browsers without
 * `PublicKeyCredential.parseCreationOptionsFromJSON` work too.
 */
export const PASSKEY_SCRIPT = `(() => {
  'use strict';
  const encode = (buffer) => {
    let text = '';
    for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte);
    return btoa(text).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  };
  const decode = (text) => {
    const padded = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=');
    return Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
  };
  const withIds = (list) => (list || []).map((item) => Object.assign({}, item, { id: decode(item.id) }));
  const post = async (path, body) => {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
    const json = await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign(new Error(json.detail || 'The request failed; try again.'), { code: json.code });
    return json;
  };
  const say = (text) => {
    const out = document.getElementById('passkey-status');
    if (!out) return;
    out.textContent = text;
    out.hidden = false;
  };
  const failed = (error) => {
    if (error && error.name === 'AbortError') return;
    say(error && error.name === 'NotAllowedError' ? 'No passkey was used (cancelled or timed out).' : error.message);
  };
  const common = (credential) => ({
    id: credential.id,
    rawId: encode(credential.rawId),
    type: credential.type,
    ...(credential.authenticatorAttachment ? { authenticatorAttachment: credential.authenticatorAttachment } : {}),
    clientExtensionResults: credential.getClientExtensionResults(),
  });
  const supported = typeof window.PublicKeyCredential === 'function' && !!navigator.credentials;

  const signInForm = document.getElementById('passkey-form');
  if (signInForm && supported) {
    let pending = null;
    const signIn = async (mediation) => {
      const challenge = signInForm.elements.namedItem('challenge');
      const options = await post('login/passkey/options', challenge ? { challenge: challenge.value } : {});
      pending = new AbortController();
      const credential = await navigator.credentials.get({
        mediation,
        signal: pending.signal,
        publicKey: Object.assign({}, options, {
          challenge: decode(options.challenge),
          allowCredentials: withIds(options.allowCredentials),
        }),
      });
      const answer = credential.response;
      signInForm.elements.namedItem('response').value = JSON.stringify(
        Object.assign(common(credential), {
          response: {
            clientDataJSON: encode(answer.clientDataJSON),
            authenticatorData: encode(answer.authenticatorData),
            signature: encode(answer.signature),
            ...(answer.userHandle ? { userHandle: encode(answer.userHandle) } : {}),
          },
        }),
      );
      signInForm.submit();
    };
    const button = document.getElementById('passkey-sign-in');
    if (button) {
      button.hidden = false;
      button.addEventListener('click', () => {
        // One request at a time: the autofill one gives way to the button's.
        if (pending) pending.abort();
        signIn('optional').catch(failed);
      });
    }
    const autofill = document.querySelector('input[autocomplete~="webauthn"]');
    if (autofill && typeof PublicKeyCredential.isConditionalMediationAvailable === 'function') {
      const state = (value) => document.documentElement.setAttribute('data-passkey-autofill', value);
      PublicKeyCredential.isConditionalMediationAvailable().then((available) => {
        if (!available) return undefined;
        state('waiting');
        // Nobody asked for this one: when it ends without a passkey, the page says nothing.
        return signIn('conditional').catch(() => state('ended'));
      }).catch(() => undefined);
    }
  }

  const addForm = document.getElementById('passkey-add');
  if (addForm && !supported) {
    say('This browser cannot create passkeys.');
    addForm.querySelector('button').disabled = true;
  } else if (addForm) {
    addForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const password = addForm.elements.namedItem('password');
      (async () => {
        const options = await post('passkeys/registration/options', password ? { password: password.value } : {});
        const credential = await navigator.credentials.create({
          publicKey: Object.assign({}, options, {
            challenge: decode(options.challenge),
            user: Object.assign({}, options.user, { id: decode(options.user.id) }),
            excludeCredentials: withIds(options.excludeCredentials),
          }),
        });
        const answer = credential.response;
        addForm.elements.namedItem('response').value = JSON.stringify(
          Object.assign(common(credential), {
            response: {
              clientDataJSON: encode(answer.clientDataJSON),
              attestationObject: encode(answer.attestationObject),
              transports: typeof answer.getTransports === 'function' ? answer.getTransports() : [],
            },
          }),
        );
        // The password was checked with the options; it is not posted again.
        if (password) password.disabled = true;
        addForm.submit();
      })().catch(failed);
    });
  }
})();
`;
