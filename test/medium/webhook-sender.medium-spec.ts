import { promises as dns } from 'node:dns';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendWebhook, WebhookSendError, type WebhookRequest } from '../../src/modules/webhooks/webhook-sender';
import { eventually } from '../support/eventually';

interface SeenRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The address the connection reached on this machine. */
  localAddress: string;
}

/** A real HTTP server the sender talks to; `reply` decides how each request is answered. */
class TargetServer {
  readonly requests: SeenRequest[] = [];
  port = 0;

  private constructor(
    private readonly server: Server,
    readonly host: string,
  ) {}

  static async start(host: string, reply: (request: IncomingMessage, response: ServerResponse) => void) {
    const self: TargetServer = new TargetServer(
      createServer((request, response) => void self.record(request, response, reply)),
      host,
    );
    await new Promise<void>((resolve) => self.server.listen(0, host, () => resolve()));
    self.port = (self.server.address() as AddressInfo).port;
    return self;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async record(
    request: IncomingMessage,
    response: ServerResponse,
    reply: (request: IncomingMessage, response: ServerResponse) => void,
  ) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    this.requests.push({
      path: request.url ?? '',
      headers: request.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      localAddress: request.socket.localAddress ?? '',
    });
    reply(request, response);
  }
}

const ok = (_request: IncomingMessage, response: ServerResponse) => {
  response.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
};

/**
 * The sender against real sockets on this machine: the destination check after DNS, the
 * pinned connection, redirects, the response limit and the deadline.
 */
describe('sendWebhook', () => {
  const body = JSON.stringify({ id: 'msg_1', type: 'user.created', data: { name: 'Zoë' } });
  const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': '1700000000', 'webhook-signature': 'v1,c2lnbmF0dXJl' };
  /** Where `localhost` goes on this machine (127.0.0.1, or ::1 on some systems). */
  let localhostAddress: string;
  const servers: TargetServer[] = [];

  const start = async (reply: (request: IncomingMessage, response: ServerResponse) => void) => {
    const server = await TargetServer.start(localhostAddress, reply);
    servers.push(server);
    return server;
  };
  const request = (url: string, overrides: Partial<WebhookRequest> = {}): WebhookRequest => ({
    url,
    headers,
    body,
    timeoutMs: 5000,
    allowPrivate: true,
    ...overrides,
  });

  beforeAll(async () => {
    localhostAddress = (await dns.lookup('localhost')).address;
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('should refuse a name that resolves to a loopback address when private destinations are not allowed', async () => {
    const target = await start(ok);

    const sending = sendWebhook(
      request(`http://localhost:${target.port}/hook?token=query-secret`, { allowPrivate: false }),
    );

    await expect(sending).rejects.toMatchObject({ name: 'WebhookSendError', kind: 'refused' });
    await expect(sending).rejects.toThrow('it resolves to a loopback address');
    await expect(sending).rejects.not.toThrow('query-secret');
    expect(target.requests).toHaveLength(0);
  });

  it('should post the body and headers when private destinations are allowed', async () => {
    const target = await start(ok);

    const sut = await sendWebhook(request(`http://localhost:${target.port}/hook?team=7`));

    expect(sut).toEqual({ status: 200, responseBody: 'thanks', latencyMs: expect.any(Number) });
    expect(target.requests).toHaveLength(1);
    expect(target.requests[0]).toMatchObject({
      path: '/hook?team=7',
      body,
      headers: {
        ...headers,
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(body)),
      },
    });
  });

  it('should connect to the address it checked while sending the hostname in Host', async () => {
    const target = await start(ok);

    await sendWebhook(request(`http://localhost:${target.port}/hook`));

    expect(target.requests[0].headers.host).toBe(`localhost:${target.port}`);
    expect(target.requests[0].localAddress).toBe(localhostAddress);
  });

  it('should ask DNS once and connect to that answer, not to a second lookup', async () => {
    const target = await start(ok);
    // A name no real DNS answers (.example is reserved): only the pinned address can reach the server.
    const lookup = jest
      .spyOn(dns, 'lookup')
      .mockResolvedValue([{ address: localhostAddress, family: localhostAddress.includes(':') ? 6 : 4 }] as never);

    const sut = await sendWebhook(request(`http://rebind.example:${target.port}/hook`));

    expect(sut.status).toBe(200);
    expect(lookup).toHaveBeenCalledTimes(1);
    expect(target.requests[0].headers.host).toBe(`rebind.example:${target.port}`);
  });

  it('should refuse a name when one of its addresses is private, without connecting', async () => {
    const target = await start(ok);
    jest.spyOn(dns, 'lookup').mockResolvedValue([
      { address: '203.0.113.9', family: 4 },
      { address: localhostAddress, family: localhostAddress.includes(':') ? 6 : 4 },
    ] as never);

    await expect(
      sendWebhook(request(`http://mixed.example:${target.port}/hook`, { allowPrivate: false })),
    ).rejects.toMatchObject({ kind: 'refused' });
    expect(target.requests).toHaveLength(0);
  });

  it('should answer a redirect as its status and not follow it', async () => {
    const target: TargetServer = await start((_request, response) => {
      response.writeHead(302, { location: `http://localhost:${target.port}/elsewhere` }).end('moved');
    });

    const sut = await sendWebhook(request(`http://localhost:${target.port}/hook`));

    expect(sut).toMatchObject({ status: 302, responseBody: 'moved' });
    expect(target.requests.map((seen) => seen.path)).toEqual(['/hook']);
  });

  it('should keep only the first bytes of an endless answer and close the connection', async () => {
    let closed = false;
    const target = await start((_request, response) => {
      response.on('close', () => (closed = true));
      response.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (!response.destroyed && response.write(chunk));
      };
      response.on('drain', pump);
      pump();
    });

    const sut = await sendWebhook(request(`http://localhost:${target.port}/hook`, { maxResponseBytes: 1000 }));

    expect(sut.status).toBe(200);
    expect(sut.responseBody).toBe('x'.repeat(1000));
    await eventually('the server to see the connection closed', () => closed, { deadlineMs: 2000 });
  });

  it('should time out on a server that never answers, at about the deadline', async () => {
    const target = await start(() => undefined);
    const startedAt = Date.now();

    const sending = sendWebhook(request(`http://localhost:${target.port}/hook`, { timeoutMs: 300 }));

    await expect(sending).rejects.toMatchObject({ name: 'WebhookSendError', kind: 'timeout' });
    const elapsed = Date.now() - startedAt;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1300);
  });

  it('should time out on an answer that starts but never ends', async () => {
    const target = await start((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('partial');
    });

    await expect(
      sendWebhook(request(`http://localhost:${target.port}/hook`, { timeoutMs: 300 })),
    ).rejects.toMatchObject({ kind: 'timeout' });
  });

  it('should report a closed port as a network error naming only the host', async () => {
    const target = await start(ok);
    const port = target.port;
    await target.close();
    servers.splice(0);

    const sending = sendWebhook(request(`http://localhost:${port}/hook?token=query-secret`));

    await expect(sending).rejects.toThrow(WebhookSendError);
    await expect(sending).rejects.toMatchObject({ kind: 'network' });
    await expect(sending).rejects.toThrow(`could not reach localhost:${port}`);
    await expect(sending).rejects.not.toThrow('query-secret');
  });

  it('should refuse a URL that is not an http(s) URL without connecting', async () => {
    await expect(sendWebhook(request('ftp://localhost/hook'))).rejects.toMatchObject({
      kind: 'refused',
      message: 'webhook URL must use http or https',
    });
  });
});
