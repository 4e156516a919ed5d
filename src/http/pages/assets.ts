/**
 * The pages' stylesheet and icon, served by Gatehouse itself: no framework,
 * no download at run time, nothing inline (the CSP forbids it).
 */
export const STYLESHEET = `:root{color-scheme:light dark;--accent:#2f6fb3;--danger:#b3261e;--muted:#6b7280;--line:#d1d5db}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{display:flex;align-items:center;justify-content:space-between;gap:1rem;padding:.75rem 1rem;border-bottom:1px solid var(--line)}
header .brand{font-weight:700;text-decoration:none;color:inherit}
main{max-width:44rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
form.stack{display:grid;gap:.75rem;max-width:22rem}
label{display:grid;gap:.25rem;font-weight:600}
input{font:inherit;font-weight:400;padding:.5rem .6rem;border:1px solid var(--line);border-radius:.4rem}
button{font:inherit;padding:.45rem .9rem;border-radius:.4rem;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer}
button:disabled{opacity:.5;cursor:not-allowed}
button.secondary{background:transparent;color:var(--accent)}
button.danger{border-color:var(--danger);background:transparent;color:var(--danger)}
button:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.error{border-left:4px solid var(--danger);padding:.5rem .75rem;background:rgba(179,38,30,.08)}
.muted{color:var(--muted)}
ul.sessions{list-style:none;padding:0;margin:0 0 1rem;display:grid;gap:.5rem}
ul.sessions li{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:.5rem;padding:.6rem .75rem;border:1px solid var(--line);border-radius:.5rem}
.tag{display:inline-block;font-size:.8rem;padding:0 .45rem;border-radius:1rem;border:1px solid var(--accent);color:var(--accent);margin-left:.35rem}
form.inline{display:inline}
select{font:inherit;font-weight:400;padding:.45rem .5rem;border:1px solid var(--line);border-radius:.4rem}
.notice{border-left:4px solid var(--accent);padding:.5rem .75rem;background:rgba(47,111,179,.08)}
.new-key input{width:100%;font-family:ui-monospace,monospace}
.qr svg{display:block;width:12rem;height:12rem;margin:.5rem 0;background:#fff}
#recovery-codes{columns:2;font-family:ui-monospace,monospace}
header nav{display:flex;align-items:center;gap:1rem}
table{width:100%;border-collapse:collapse;margin:.5rem 0 1rem;display:block;overflow-x:auto}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
td.actions{display:grid;gap:.35rem}
td input{width:11rem;max-width:100%}
form.row{display:flex;flex-wrap:wrap;align-items:end;gap:.5rem;margin:.5rem 0}
h3{font-size:1rem;margin:1rem 0 0}
code{font-family:ui-monospace,monospace;font-size:.9em}
main:has(table){max-width:64rem}
.passkey{display:grid;gap:.5rem;max-width:22rem;margin-top:.75rem}
@media (max-width:30rem){main{padding:.75rem}ul.sessions li{display:grid}}
`;

/**
 * The pages' only script (progressive enhancement: everything works without
 * it): the copy button next to a new API key.
 */
export const SCRIPT = `document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('[data-copy]') : null;
  if (!button) return;
  const field = document.getElementById(button.getAttribute('data-copy'));
  if (!field) return;
  const done = () => { button.textContent = 'Copied'; };
  if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(done, () => field.select());
  else field.select();
});
`;

/** A small key on a blue square. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#2f6fb3"/><circle cx="12" cy="16" r="5" fill="none" stroke="#fff" stroke-width="3"/><path d="M17 16h10m-3 0v4" stroke="#fff" stroke-width="3" fill="none"/></svg>`;

/**
 * The Content-Security-Policy of every page: own script, styles and images
 * only (nothing inline), requests (the passkey script's) and forms only to this origin.
 */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'";
