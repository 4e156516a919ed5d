import type { SecondFactorMethod, TwoFactorStatus } from '../../core/sign-in/index.js';
import type { User } from '../../core/users/index.js';
import { html, SafeHtml } from './html.js';
import { passkeySignIn } from './passkey-views.js';
import { currentPasswordField, layout } from './html-views.js';

/**
 * The second step of signing in: a code from the authenticator app or a
 * recovery code, and/or a passkey, as `methods` allow (default: codes).
 */
export function twoFactorSignInPage(options: {
  challenge: string;
  error?: string;
  returnTo?: string | null;
  methods?: readonly SecondFactorMethod[];
}): string {
  const methods = options.methods ?? ['totp', 'recovery_code'];
  const codes = methods.includes('totp');
  const passkey = methods.includes('passkey')
    ? passkeySignIn({ challenge: options.challenge, returnTo: options.returnTo, label: 'Use your passkey' })
    : '';
  if (!codes) {
    return layout(
      'Two-factor sign-in',
      html`<h1>Use your passkey</h1>
        <p>Your password is right. To finish signing in, use your passkey.</p>
        ${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ''} ${passkey}
        <p class="muted"><a href="./">Start again</a></p>`,
    );
  }
  return layout(
    'Two-factor sign-in',
    html`<h1>Enter your code</h1>
      <p>Open your authenticator app and enter the 6-digit code for this account, or one of your recovery codes.</p>
      ${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ''} ${passkey}
      <form class="stack" method="post" action="ui/sign-in/two-factor">
        <input type="hidden" name="challenge" value="${options.challenge}" />
        ${options.returnTo ? html`<input type="hidden" name="return_to" value="${options.returnTo}" />` : ''}
        <label for="code"
          >Code
          <input id="code" name="code" autocomplete="one-time-code" inputmode="text" required maxlength="64" autofocus
        /></label>
        <button type="submit">Verify</button>
      </form>
      <p class="muted"><a href="./">Start again</a></p>`,
  );
}

/** The account page's two-factor section: its state, and the form that changes it. */
export function twoFactorSection(status: TwoFactorStatus): SafeHtml {
  if (!status.enabled) {
    return html`<h2>Two-factor sign-in</h2>
      <p id="two-factor-state">
        Off. With it on, signing in asks for a code from an authenticator app as well as your password.
      </p>
      <form class="stack" method="post" action="ui/two-factor">
        ${currentPasswordField('two-factor-setup-password')}
        <button type="submit">Set up two-factor sign-in</button>
      </form>`;
  }
  return html`<h2>Two-factor sign-in</h2>
    <p id="two-factor-state">
      On · ${status.recoveryCodesLeft} recovery code${status.recoveryCodesLeft === 1 ? '' : 's'} left
    </p>
    <form class="stack" method="post" action="ui/two-factor/disable">
      ${currentPasswordField('two-factor-password')}
      <button type="submit" class="danger">Turn off two-factor sign-in</button>
    </form>`;
}

/** Enrolment: the QR code (inline SVG, no image request), the secret to type instead, and the confirming code. */
export function twoFactorEnrollPage(user: User, enrollment: { secret: string; qrSvg: string }, error?: string): string {
  // qrcode's SVG is generated here from the otpauth URI, never from request text: safe to embed as markup.
  const qr = new SafeHtml(enrollment.qrSvg);
  return layout(
    'Set up two-factor sign-in',
    html`<h1>Set up two-factor sign-in</h1>
      ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
      <ol class="stack">
        <li>
          Scan this code with an authenticator app (any that supports TOTP).
          <div class="qr" role="img" aria-label="QR code for your authenticator app">${qr}</div>
        </li>
        <li>Or type this key into the app: <code id="totp-secret">${enrollment.secret}</code></li>
        <li>Enter the 6-digit code the app shows.</li>
      </ol>
      <form class="stack" method="post" action="ui/two-factor/confirm">
        <label for="code"
          >Code
          <input
            id="code"
            name="code"
            autocomplete="one-time-code"
            inputmode="numeric"
            required
            maxlength="16"
            autofocus
        /></label>
        <button type="submit">Turn on</button>
      </form>
      <p class="muted"><a href="./">Cancel</a></p>`,
    user,
  );
}

/** The recovery codes, shown this once after enrolment. */
export function recoveryCodesPage(user: User, codes: string[]): string {
  return layout(
    'Recovery codes',
    html`<h1>Two-factor sign-in is on</h1>
      <div class="new-key" role="status">
        <p>
          Save these recovery codes somewhere safe. Each one signs you in once if you lose your phone. They are shown
          only this once.
        </p>
        <ul id="recovery-codes">
          ${codes.map((code) => html`<li><code>${code}</code></li>`)}
        </ul>
      </div>
      <p><a href="./">Back to your account</a></p>`,
    user,
  );
}
