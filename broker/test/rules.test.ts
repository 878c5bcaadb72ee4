import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenService, generateSigningKey } from '@pulsehub/auth';
import { createBroker, createRevocationBus, DEFAULT_RULES, type PulseHubBroker } from '@pulsehub/broker';
import { as, closed, collect, connect, sleep, subackCodes, tokens } from './helpers.js';

const consents = new Map<string, string[]>([['coach-1', ['ana', 'ben']]]);
let broker: PulseHubBroker;
let port: number;

beforeAll(async () => {
  broker = await createBroker({
    tokens,
    sysIntervalMs: 100,
    consentedAthletes: async (viewer) => consents.get(viewer) ?? [],
    deviceInfo: async (id) => (id === 'revoked-watch' ? { kind: 'watch', revoked: true } : id === 'gw-1' ? { kind: 'gateway', revoked: false } : undefined),
  });
  ({ port } = await broker.listen({ port: 0 }));
});
afterAll(async () => broker?.close());

/** Publishes at QoS 1 and resolves 'closed' when the broker disconnected the publisher instead. */
async function publishOutcome(client: Awaited<ReturnType<typeof as>>, topic: string): Promise<'accepted' | 'closed'> {
  const gone = closed(client).then(() => 'closed' as const);
  const ok = client.publishAsync(topic, 'x', { qos: 1 }).then(() => 'accepted' as const, () => 'closed' as const);
  return Promise.race([ok, gone]);
}

describe('device rules (users/%u/events, users/%u/#)', () => {
  it('publishes for its own user and subscribes to its own tree; SUBACK 0x80 elsewhere, connection kept', async () => {
    const w = await as(port, 'device', 'w1', ['ana']);
    expect(await publishOutcome(w, 'users/ana/events')).toBe('accepted');
    expect(await subackCodes(w, 'users/ana/#')).toEqual([1]);
    expect(await subackCodes(w, 'users/bob/#')).toEqual([128]);
    expect(await subackCodes(w, '#')).toEqual([128]);
    expect(await subackCodes(w, '$SYS/#')).toEqual([128]);
    expect(w.connected).toBe(true);
    expect(await publishOutcome(w, 'users/bob/events')).toBe('closed');
  });

  it('is refused at CONNECT (4) when the registry says the device is revoked', async () => {
    const { token } = await tokens.mint({ subject: 'revoked-watch', kind: 'device', users: ['ana'] });
    const { code, client } = await connect(port, { username: 'revoked-watch', password: token });
    expect(code).toBe(4);
    client.end(true);
  });
});

describe('gateway rules: only the bound users', () => {
  it('publishes for each bound user and its own status, and is cut for anyone else', async () => {
    const ingest = await as(port, 'service', 'ingest-t');
    expect(await subackCodes(ingest, 'users/+/events/+')).toEqual([1]);
    const got = collect(ingest, 2);
    const gw = await as(port, 'gateway', 'gw-1', ['ana', 'ben']);
    expect(await publishOutcome(gw, 'users/ana/events')).toBe('accepted');
    expect(await publishOutcome(gw, 'users/ben/events')).toBe('accepted');
    expect((await got).sort()).toEqual(['users/ana/events/gw-1', 'users/ben/events/gw-1']);
    expect(await publishOutcome(gw, 'gateways/gw-1/status')).toBe('accepted');
    expect(await subackCodes(gw, 'gateways/gw-1/#')).toEqual([1]);
    expect(await subackCodes(gw, 'gateways/gw-2/#')).toEqual([128]);
    expect(await publishOutcome(gw, 'users/cara/events')).toBe('closed');
    const gw2 = await as(port, 'gateway', 'gw-1', ['ana'], { clientId: 'gw-1-b' });
    expect(await publishOutcome(gw2, 'gateways/gw-2/status')).toBe('closed');
    await ingest.endAsync();
  });
});

describe('service, admin and $SYS', () => {
  it('lets services consume (also as a $share group) and publish live data; not $SYS', async () => {
    const svc = await as(port, 'service', 'web-t');
    expect(await subackCodes(svc, '$share/g1/users/+/events/+')).toEqual([1]);
    expect(await subackCodes(svc, 'live/users/+')).toEqual([1]);
    expect(await subackCodes(svc, '$SYS/#')).toEqual([128]);
    expect(await publishOutcome(svc, 'live/users/ana')).toBe('accepted');
    await svc.endAsync();
  });

  it('shows $SYS statistics to admins only', async () => {
    const adm = await as(port, 'admin', 'adm-1');
    const got = collect(adm, 1);
    expect(await subackCodes(adm, '$SYS/+/clients/connected', 0)).toEqual([0]);
    const [topic] = await got;
    expect(topic).toMatch(/^\$SYS\/.+\/clients\/connected$/);
    expect(await publishOutcome(adm, '$SYS/x')).toBe('closed');
  });
});

describe('read-only live views', () => {
  it('athletes and overlays read their own live topic only and may not publish', async () => {
    for (const kind of ['athlete', 'overlay'] as const) {
      const c = await as(port, kind, `${kind}-ana`, ['ana']);
      expect(await subackCodes(c, 'live/users/ana')).toEqual([1]);
      expect(await subackCodes(c, 'live/users/ben')).toEqual([128]);
      expect(await subackCodes(c, 'live/users/+')).toEqual([128]);
      expect(await publishOutcome(c, 'live/users/ana')).toBe('closed');
    }
  });

  it('coaches read consenting athletes; a revocation cuts the next message, a grant opens at once', async () => {
    const coach = await as(port, 'coach', 'coach-1');
    expect(await subackCodes(coach, 'live/users/ana')).toEqual([1]);
    expect(await subackCodes(coach, 'live/users/ben')).toEqual([1]);
    expect(await subackCodes(coach, 'live/users/cara')).toEqual([128]);
    expect(await subackCodes(coach, 'live/users/+')).toEqual([128]);
    const svc = await as(port, 'service', 'live-pub');
    const first = collect(coach, 2);
    await svc.publishAsync('live/users/ana', 'a1', { qos: 1 });
    await svc.publishAsync('live/users/ben', 'b1', { qos: 1 });
    expect(await first).toEqual(['live/users/ana', 'live/users/ben']);

    // As the web API does: the consent row changes, then every broker node is told.
    consents.set('coach-1', ['ben']);
    broker.consentChanged('ana', 'coach-1', false);
    const after = collect(coach, 1);
    await svc.publishAsync('live/users/ana', 'a2', { qos: 1 });
    await svc.publishAsync('live/users/ben', 'b2', { qos: 1 });
    expect(await after).toEqual(['live/users/ben']);
    expect(await publishOutcome(coach, 'users/ana/events')).toBe('closed');

    const coach2 = await as(port, 'coach', 'coach-1', [], { clientId: 'coach-1-b' });
    broker.consentChanged('cara', 'coach-1', true);
    expect(await subackCodes(coach2, 'live/users/cara')).toEqual([1]);
    expect(await subackCodes(coach2, 'live/users/ana')).toEqual([128]);
    await coach2.endAsync();
    await svc.endAsync();
  });
});

describe('custom rules (%c, deny inside an allowed tree, retained messages)', () => {
  let custom: PulseHubBroker;
  let cport: number;
  beforeAll(async () => {
    custom = await createBroker({
      tokens,
      rules: [
        { effect: 'deny', action: 'subscribe', topic: 'users/%u/private' },
        { effect: 'allow', action: 'all', topic: 'clients/%c/#', kinds: ['device'] },
        ...DEFAULT_RULES,
      ],
    });
    ({ port: cport } = await custom.listen({ port: 0 }));
  });
  afterAll(async () => custom?.close());

  it('substitutes the MQTT client id for %c', async () => {
    const w = await as(cport, 'device', 'w9', ['ana'], { clientId: 'cid-9' });
    expect(await subackCodes(w, 'clients/cid-9/#')).toEqual([1]);
    expect(await subackCodes(w, 'clients/cid-8/#')).toEqual([128]);
    expect(await publishOutcome(w, 'clients/cid-9/out')).toBe('accepted');
    expect(await publishOutcome(w, 'clients/cid-8/out')).toBe('closed');
  });

  it('refuses a subscription overlapping a deny rule, and never forwards a retained message the rules deny (authorizeForward)', async () => {
    const adm = await as(cport, 'admin', 'adm');
    await adm.publishAsync('users/ana/private', 'secret', { qos: 1, retain: true });
    await adm.publishAsync('users/ana/open', 'hello', { qos: 1, retain: true });
    const w = await as(cport, 'device', 'w10', ['ana']);
    expect(await subackCodes(w, 'users/ana/private')).toEqual([128]);
    expect(await subackCodes(w, 'users/ana/+')).toEqual([128]);
    // A session restored for this client id carries a subscription its rules never granted:
    // forwarding is checked per message, so the retained secret still does not arrive.
    const seen: string[] = [];
    w.on('message', (t) => seen.push(t));
    expect(await subackCodes(w, 'users/ana/open')).toEqual([1]);
    await sleep(100);
    expect(seen).toEqual(['users/ana/open']);
    await adm.endAsync();
    await w.endAsync();
  });
});

describe('revocation', () => {
  it('disconnects a connected client within a second of its token being revoked, and refuses it afterwards', async () => {
    const keyring = { current: generateSigningKey(), previous: [] };
    const revoked = new Set<string>();
    const svc = createTokenService(keyring, { isRevoked: (jti) => revoked.has(jti) });
    const b = await createBroker({ tokens: svc });
    const { port: p } = await b.listen({ port: 0 });
    const bus = await createRevocationBus();
    bus.subscribe((e) => {
      if (e.type !== 'token') return;
      revoked.add(e.jti);
      b.disconnectWhere((pr) => pr.jti === e.jti);
    });
    const { token, jti } = await svc.mint({ subject: 'w-rev', kind: 'device', users: ['ana'] });
    const { code, client } = await connect(p, { username: 'w-rev', password: token });
    expect(code).toBe(0);
    const gone = closed(client);
    const t0 = Date.now();
    await bus.publish({ type: 'token', jti });
    await gone;
    expect(Date.now() - t0).toBeLessThan(1000);
    const again = await connect(p, { username: 'w-rev', password: token });
    expect(again.code).toBe(4);
    again.client.end(true);
    await bus.close();
    await b.close();
  });
});
