/** A small fetch wrapper for e2e tests: JSON in and out, cookies kept per client like a browser. */
export interface TestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as-is (no JSON encoding), with the given content type. */
  raw?: { payload: string | Buffer; contentType: string };
  headers?: Record<string, string>;
  token?: string;
  /** Whether to send and store cookies (default true). */
  cookies?: boolean;
}

export class HttpClient {
  readonly jar = new Map<string, string>();

  constructor(
    readonly baseUrl: string,
    private readonly defaults: Record<string, string> = {},
  ) {}

  /** A new client (empty cookie jar) for the same server: another browser, another device. */
  fork(headers: Record<string, string> = {}): HttpClient {
    return new HttpClient(this.baseUrl, { ...this.defaults, ...headers });
  }

  get<T = any>(path: string, options: RequestOptions = {}) {
    return this.request<T>('GET', path, options);
  }
  post<T = any>(path: string, body?: unknown, options: RequestOptions = {}) {
    return this.request<T>('POST', path, { ...options, body });
  }
  patch<T = any>(path: string, body?: unknown, options: RequestOptions = {}) {
    return this.request<T>('PATCH', path, { ...options, body });
  }
  delete<T = any>(path: string, options: RequestOptions = {}) {
    return this.request<T>('DELETE', path, options);
  }

  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<TestResponse<T>> {
    const headers: Record<string, string> = { ...this.defaults, ...(options.headers ?? {}) };
    let payload: string | Buffer | undefined;
    if (options.raw) {
      payload = options.raw.payload;
      headers['content-type'] = options.raw.contentType;
    } else if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const useCookies = options.cookies ?? true;
    if (useCookies && this.jar.size > 0 && !headers.cookie) {
      headers.cookie = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    const response = await fetch(this.baseUrl + path, { method, headers, body: payload, redirect: 'manual' });
    if (useCookies) this.storeCookies(response.headers);
    const text = await response.text();
    let body: any = text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text.length > 0) body = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: body as T, text };
  }

  private storeCookies(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      const expired = attributes.some((attribute) => /^\s*(max-age=0|expires=thu, 01 jan 1970)/i.test(attribute));
      if (expired || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }
}
