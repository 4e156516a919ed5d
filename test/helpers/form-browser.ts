import { Agent, request } from 'undici';
import { CookieJar } from 'tough-cookie';

/** One answer the form browser got. */
export interface BrowserResponse {
  status: number;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * A browser without a browser, for tests of the pages' flows: a cookie jar
 * (tough-cookie, so `__Host-` and `Secure` rules hold), redirects followed
 * within Gatehouse's origin and stopped at any other (where an app would
 * take over), form posts sent as a browser sends them (`Origin`,
 * `Sec-Fetch-Site`). The Chromium tests cover what a real browser adds.
 */
export class FormBrowser {
  readonly jar = new CookieJar();
  private readonly agent: Agent;

  constructor(
    readonly origin: string,
    ca: string,
  ) {
    this.agent = new Agent({ connect: { ca } });
  }

  /** GET `url` (absolute, or a path on Gatehouse), following Gatehouse's own redirects. */
  get(url: string): Promise<BrowserResponse> {
    return this.navigate('GET', new URL(url, this.origin).href);
  }

  /** Submits a form of a Gatehouse page from that page (same origin), following Gatehouse's redirects. */
  post(path: string, fields: Record<string, string>, from: 'same-origin' | 'cross-site' = 'same-origin') {
    return this.navigate('POST', new URL(path, this.origin).href, new URLSearchParams(fields).toString(), from);
  }

  private async navigate(
    method: string,
    url: string,
    body?: string,
    from: 'same-origin' | 'cross-site' = 'same-origin',
  ): Promise<BrowserResponse> {
    for (let hops = 0; hops < 10; hops += 1) {
      if (new URL(url).origin !== this.origin) return { status: 0, url, headers: {}, text: '' };
      const cookie = await this.jar.getCookieString(url);
      const headers: Record<string, string> = { ...(cookie && { cookie }) };
      if (method === 'POST') {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        headers.origin = from === 'same-origin' ? this.origin : 'https://attacker.example';
        headers['sec-fetch-site'] = from;
      }
      const response = await request(url, { method, headers, body, dispatcher: this.agent });
      const setCookie = response.headers['set-cookie'];
      for (const line of Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : []) {
        await this.jar.setCookie(line, url);
      }
      const text = await response.body.text();
      const location = response.headers.location;
      if (response.statusCode >= 300 && response.statusCode < 400 && typeof location === 'string') {
        const next = new URL(location, url).href;
        // Another origin: the app's redirect URI. Stop here, as the app's own server would now answer.
        if (new URL(next).origin !== this.origin) {
          return { status: response.statusCode, url: next, headers: response.headers, text };
        }
        // 303 (and 302 from a POST, as browsers do) continue as GET.
        method = 'GET';
        body = undefined;
        url = next;
        continue;
      }
      return { status: response.statusCode, url, headers: response.headers, text };
    }
    throw new Error(`too many redirects from ${url}`);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** The value of a hidden field of a page (`name="…" value="…"`), HTML entities decoded. */
export function hiddenField(html: string, name: string): string | undefined {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  return match?.[1]
    ?.replaceAll('&amp;', '&')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>');
}
