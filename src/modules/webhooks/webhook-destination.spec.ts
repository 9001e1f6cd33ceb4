import { promises as dns } from 'node:dns';
import {
  checkWebhookUrl,
  MAX_WEBHOOK_URL_LENGTH,
  nonPublicRange,
  resolvePublicAddress,
  WebhookDestinationRefused,
  type NonPublicRange,
} from './webhook-destination';

describe('checkWebhookUrl', () => {
  it.each(['https://hooks.example.com/secureauth?team=7', 'http://203.0.113.9:8080/hook', 'https://[2001:db8::1]/'])(
    'should accept %s',
    (url) => {
      expect(checkWebhookUrl(url)).toBeNull();
    },
  );

  it.each([
    ['ftp://hooks.example.com/', 'must use http or https'],
    ['file:///etc/passwd', 'must use http or https'],
    ['javascript:alert(1)', 'must use http or https'],
    ['hooks.example.com/hook', 'must be an absolute URL'],
    ['https://', 'must be an absolute URL'],
    ['https://user:pass@hooks.example.com/', 'must not contain a user name or password'],
    ['https://user@hooks.example.com/', 'must not contain a user name or password'],
    ['https://hooks.example.com/#section', 'must not contain a fragment (#)'],
    ['https://hooks.example.com/#', 'must not contain a fragment (#)'],
    ['https://hooks.exa\tmple.com/', 'must not contain spaces or control characters'],
    [' https://hooks.example.com/', 'must not contain spaces or control characters'],
    ['https://hooks.example.com/a\nb', 'must not contain spaces or control characters'],
  ])('should refuse %j: %s', (url, problem) => {
    expect(checkWebhookUrl(url)).toBe(problem);
  });

  it('should accept a URL of the maximum length and refuse a longer one', () => {
    const base = 'https://hooks.example.com/';
    const longest = base + 'a'.repeat(MAX_WEBHOOK_URL_LENGTH - base.length);

    expect(checkWebhookUrl(longest)).toBeNull();
    expect(checkWebhookUrl(longest + 'a')).toBe(`must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`);
  });
});

describe('nonPublicRange', () => {
  it.each<[string, NonPublicRange]>([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['192.168.255.255', 'private'],
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.255', 'shared'],
    ['192.0.0.170', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['198.19.255.255', 'reserved'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.254', 'reserved'],
    ['255.255.255.255', 'broadcast'],
  ])('should call the IPv4 address %s %s', (address, range) => {
    expect(nonPublicRange(address)).toBe(range);
  });

  it.each<[string, NonPublicRange]>([
    ['::', 'unspecified'],
    ['0:0:0:0:0:0:0:0', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fec0::1', 'private'],
    ['fe80::1', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['FE80::ABCD', 'link-local'],
    ['ff02::1', 'multicast'],
    ['ff0e::101', 'multicast'],
    ['100::1', 'reserved'],
    ['64:ff9b:1::a00:1', 'private'],
  ])('should call the IPv6 address %s %s', (address, range) => {
    expect(nonPublicRange(address)).toBe(range);
  });

  it.each<[string, NonPublicRange]>([
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::FFFF:7F00:0001', 'loopback'],
    ['0:0:0:0:0:ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::127.0.0.1', 'loopback'],
    ['::7f00:1', 'loopback'],
    ['::a00:1', 'private'],
    ['::ffff:0:10.0.0.1', 'private'],
    ['::ffff:0:7f00:1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::169.254.169.254', 'link-local'],
    ['64:ff9b::c0a8:101', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['2002:c0a8:101:1::1', 'private'],
    ['2002:a00:1::', 'private'],
    // Teredo: the client's IPv4 address is stored inverted (80ff:fffe = 127.0.0.1).
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'],
    ['2001:0:4136:e378:8000:63bf:f5ff:fffe', 'private'],
  ])('should see through the encoding %s to a %s address', (address, range) => {
    expect(nonPublicRange(address)).toBe(range);
  });

  it.each([
    '192.0.2.1',
    '198.51.100.7',
    '203.0.113.9',
    '2001:db8::1',
    '3fff::1',
    '8.8.8.8',
    '1.1.1.1',
    '2606:4700:4700::1111',
    '100.63.255.255',
    '100.128.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '169.253.255.255',
    '169.255.0.0',
    '192.0.1.1',
    '198.20.0.1',
    '223.255.255.255',
    '::ffff:8.8.8.8',
    '::ffff:203.0.113.9',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '2001:0:4136:e378:8000:63bf:f7f7:f7f7',
  ])('should find %s public', (address) => {
    expect(nonPublicRange(address)).toBeNull();
  });
});

describe('resolvePublicAddress', () => {
  afterEach(() => jest.restoreAllMocks());

  const answer = (...addresses: string[]) =>
    jest
      .spyOn(dns, 'lookup')
      .mockResolvedValue(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })) as never);

  it('should answer an IP literal without asking DNS', async () => {
    const lookup = answer('198.51.100.7');

    await expect(resolvePublicAddress('203.0.113.9', { allowPrivate: false })).resolves.toEqual({
      address: '203.0.113.9',
      family: 4,
    });
    await expect(resolvePublicAddress('[2001:db8::1]', { allowPrivate: false })).resolves.toEqual({
      address: '2001:db8::1',
      family: 6,
    });
    expect(lookup).not.toHaveBeenCalled();
  });

  it.each(['127.0.0.1', '[::1]', '[::ffff:7f00:1]', '169.254.169.254', '[fe80::1]'])(
    'should refuse the literal %s',
    async (hostname) => {
      await expect(resolvePublicAddress(hostname, { allowPrivate: false })).rejects.toThrow(WebhookDestinationRefused);
    },
  );

  it('should refuse the literal a URL parser makes of an IPv4-mapped address', async () => {
    const { hostname } = new URL('http://[::ffff:127.0.0.1]:8080/');

    await expect(resolvePublicAddress(hostname, { allowPrivate: false })).rejects.toMatchObject({
      range: 'loopback',
    });
  });

  it('should ask DNS for every address of a name and answer the first', async () => {
    const lookup = answer('203.0.113.9', '2001:db8::9');

    await expect(resolvePublicAddress('hooks.example.com', { allowPrivate: false })).resolves.toEqual({
      address: '203.0.113.9',
      family: 4,
    });
    expect(lookup).toHaveBeenCalledWith('hooks.example.com', { all: true });
  });

  it('should refuse a name when any of its addresses is not public', async () => {
    answer('203.0.113.9', '2001:db8::9', '10.0.0.5');

    await expect(resolvePublicAddress('hooks.example.com', { allowPrivate: false })).rejects.toMatchObject({
      name: 'WebhookDestinationRefused',
      hostname: 'hooks.example.com',
      range: 'private',
    });
  });

  it('should refuse a name resolving to the cloud metadata service', async () => {
    answer('169.254.169.254');

    await expect(resolvePublicAddress('metadata.example.com', { allowPrivate: false })).rejects.toThrow(
      'webhooks may not be sent to metadata.example.com: it resolves to a link-local address',
    );
  });

  it('should not say which address a refused name resolved to', async () => {
    answer('10.20.30.40');

    const refusal = resolvePublicAddress('db.internal.example', { allowPrivate: false });

    await expect(refusal).rejects.toThrow(WebhookDestinationRefused);
    await expect(refusal).rejects.not.toThrow('10.20.30.40');
  });

  it('should answer a private address when private destinations are allowed', async () => {
    answer('127.0.0.1', '::1');

    await expect(resolvePublicAddress('localhost', { allowPrivate: true })).resolves.toEqual({
      address: '127.0.0.1',
      family: 4,
    });
    await expect(resolvePublicAddress('[::1]', { allowPrivate: true })).resolves.toEqual({
      address: '::1',
      family: 6,
    });
  });

  it('should pass a DNS failure on as it is', async () => {
    jest
      .spyOn(dns, 'lookup')
      .mockRejectedValue(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));

    await expect(resolvePublicAddress('nowhere.example', { allowPrivate: false })).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
  });
});
