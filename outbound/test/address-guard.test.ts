import { describe, expect, it } from 'vitest';
import { isPulseHubError } from '@pulsehub/contracts';
import { checkWebhookUrl, refusedAddress, resolveTarget, sign, verify } from '@pulsehub/outbound';

// The SSRF guard: every address class that must not be a webhook target, in both families and
// in the IPv6 forms that carry an IPv4 address.
const REFUSED: [string, string][] = [
  ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['::1', 'loopback'],
  ['10.1.2.3', 'private'], ['172.16.0.1', 'private'], ['172.31.255.254', 'private'], ['192.168.1.10', 'private'],
  ['169.254.169.254', 'linkLocal'], ['fe80::1', 'linkLocal'],
  ['fc00::1', 'uniqueLocal'], ['fd12:3456::1', 'uniqueLocal'],
  ['224.0.0.1', 'multicast'], ['239.1.1.1', 'multicast'], ['ff02::1', 'multicast'],
  ['0.0.0.0', 'unspecified'], ['::', 'unspecified'],
  ['255.255.255.255', 'broadcast'], ['100.64.0.1', 'carrierGradeNat'],
  // IPv4-mapped IPv6 is judged as the IPv4 address it carries.
  ['::ffff:127.0.0.1', 'loopback'], ['::ffff:10.0.0.1', 'private'], ['::ffff:169.254.169.254', 'linkLocal'],
  // Other IPv6 forms that reach IPv4 space: NAT64, 6to4, Teredo.
  ['64:ff9b::a00:1', 'rfc6052'], ['2002:7f00:1::1', '6to4'], ['2001::1', 'teredo'],
  // Documentation and reserved ranges.
  ['192.0.2.1', 'reserved'], ['2001:db8::1', 'reserved'],
];

describe('webhook SSRF guard', () => {
  it.each(REFUSED)('refuses %s (%s)', (address, range) => {
    expect(refusedAddress(address)).toBe(range);
  });

  it.each(['93.184.215.14', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])('allows the public address %s', (address) => {
    expect(refusedAddress(address)).toBeUndefined();
  });

  it('refuses a name that resolves to loopback at send time, unless allowlisted', async () => {
    await expect(resolveTarget('localhost', new Set())).rejects.toSatisfy((e) => isPulseHubError(e, 'PH_WEBHOOK_ADDRESS_REFUSED'));
    await expect(resolveTarget('[::1]', new Set())).rejects.toSatisfy((e) => isPulseHubError(e, 'PH_WEBHOOK_ADDRESS_REFUSED'));
    expect((await resolveTarget('127.0.0.1', new Set(['127.0.0.1']))).address).toBe('127.0.0.1');
  });

  it('checks URLs at save time: scheme, credentials, literal addresses', () => {
    const none = new Set<string>();
    for (const [url, code] of [
      ['ftp://example.com/x', 'PH_WEBHOOK_URL_INVALID'], ['not a url', 'PH_WEBHOOK_URL_INVALID'], ['https://u:p@example.com/', 'PH_WEBHOOK_URL_INVALID'],
      ['http://127.0.0.1:5432/', 'PH_WEBHOOK_ADDRESS_REFUSED'], ['http://[::ffff:127.0.0.1]:6379/', 'PH_WEBHOOK_ADDRESS_REFUSED'],
      ['http://169.254.169.254/latest/meta-data', 'PH_WEBHOOK_ADDRESS_REFUSED'], ['http://localhost:8080/', 'PH_WEBHOOK_ADDRESS_REFUSED'],
    ] as const) {
      expect(() => checkWebhookUrl(url, none), url).toThrow(expect.objectContaining({ code }));
    }
    expect(checkWebhookUrl('https://hooks.example.com/pulse', none).host).toBe('hooks.example.com');
    expect(checkWebhookUrl('http://127.0.0.1:9/x', new Set(['127.0.0.1'])).port).toBe('9');
  });
});

describe('webhook signature', () => {
  it('verifies what it signs, and refuses a changed body, another secret or an old timestamp', () => {
    const now = 1_790_000_000;
    const body = JSON.stringify({ events: [{ type: 'reading.stored' }] });
    const header = sign('s3cret', body, now);
    expect(header).toMatch(/^t=1790000000,v1=[0-9a-f]{64}$/);
    expect(verify('s3cret', body, header, { now })).toBe(true);
    expect(verify('s3cret', `${body} `, header, { now })).toBe(false);
    expect(verify('other', body, header, { now })).toBe(false);
    expect(verify('s3cret', body, header, { now: now + 301 })).toBe(false);
    expect(verify('s3cret', body, 't=abc,v1=00', { now })).toBe(false);
  });
});
