import type { Passkey } from '../../core/passkeys/index.js';
import { html, type SafeHtml } from './html.js';

/** The passkey script, loaded only by the pages that use it. */
const SCRIPT_TAG = html`<script src="assets/passkeys.js" defer></script>`;

/**
 * "Sign in with a passkey": the button (shown by the script where the
 * browser has WebAuthn) and the form the script posts the assertion with.
 * `challenge`: the second step of a password sign-in.
 */
export function passkeySignIn(
  options: { challenge?: string; returnTo?: string | null; label?: string } = {},
): SafeHtml {
  return html`<div class="passkey">
    <p id="passkey-status" class="error" role="alert" hidden></p>
    <button type="button" id="passkey-sign-in" class="secondary" hidden>
      ${options.label ?? 'Sign in with a passkey'}
    </button>
    <form id="passkey-form" method="post" action="ui/sign-in/passkey" hidden>
      <input type="hidden" name="response" value="" />
      ${options.challenge ? html`<input type="hidden" name="challenge" value="${options.challenge}" />` : ''}
      ${options.returnTo ? html`<input type="hidden" name="return_to" value="${options.returnTo}" />` : ''}
    </form>
    ${SCRIPT_TAG}
  </div>`;
}

/** A time for people: minutes, UTC (as the account page shows every time). */
const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

const kind = (passkey: Passkey) =>
  [passkey.authenticator, passkey.deviceType === 'multiDevice' ? 'synced' : 'this device only']
    .filter(Boolean)
    .join(', ');

/**
 * The account page's "Passkeys" section: each passkey with rename and
 * remove, and "Add a passkey" with its name (and the current password when
 * the sign-in is older than five minutes).
 */
export function passkeySection(options: {
  passkeys: Passkey[];
  /** The sign-in is too old to add a passkey without the password. */
  needsPassword: boolean;
  /** The user's role requires a passkey. */
  required: boolean;
}): SafeHtml {
  const { passkeys } = options;
  return html`<section id="passkey-section" aria-labelledby="passkeys-heading">
    <h2 id="passkeys-heading">Passkeys</h2>
    <p class="muted">
      A passkey signs you in without a password, with your device's screen lock or a security key, and cannot be
      phished. With one, signing in with your password also asks for it.
    </p>
    ${
      options.required && passkeys.length === 0
        ? html`<p class="notice" role="status">Your role requires a passkey: add one.</p>`
        : ''
    }
    ${
      passkeys.length === 0
        ? html`<p class="muted" id="no-passkeys">No passkeys yet.</p>`
        : html`<ul class="sessions" id="passkeys">
            ${passkeys.map(
              (passkey) =>
                html`<li data-passkey="${passkey.id}">
                  <span
                    ><strong class="passkey-name">${passkey.name}</strong>
                    <span class="muted"
                      >· ${kind(passkey)} · added ${when(passkey.createdAt)} ·
                      ${passkey.lastUsedAt === null ? 'never used' : `last used ${when(passkey.lastUsedAt)}`}</span
                    ></span
                  >
                  <span>
                    <form class="inline" method="post" action="ui/passkeys/${passkey.id}/rename">
                      <input
                        name="name"
                        required
                        maxlength="64"
                        value="${passkey.name}"
                        aria-label="New name for the passkey ${passkey.name}"
                      />
                      <button type="submit" class="secondary" aria-label="Rename the passkey ${passkey.name}">
                        Rename
                      </button>
                    </form>
                    <form class="inline" method="post" action="ui/passkeys/${passkey.id}/remove">
                      <button type="submit" class="danger" aria-label="Remove the passkey ${passkey.name}">
                        Remove
                      </button>
                    </form>
                  </span>
                </li>`,
            )}
          </ul>`
    }
    <p id="passkey-status" class="error" role="alert" hidden></p>
    <form class="stack" id="passkey-add" method="post" action="ui/passkeys">
      <label for="passkey-name"
        >Passkey name <input id="passkey-name" name="name" required maxlength="64" placeholder="e.g. Work laptop"
      /></label>
      ${
        options.needsPassword
          ? html`<label for="passkey-password"
              >Current password (you signed in more than 5 minutes ago)
              <input
                id="passkey-password"
                name="password"
                type="password"
                autocomplete="current-password"
                required
                maxlength="1024"
            /></label>`
          : ''
      }
      <input type="hidden" name="response" value="" />
      <button type="submit">Add a passkey</button>
    </form>
    ${SCRIPT_TAG}
  </section>`;
}
