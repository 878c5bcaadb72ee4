import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, Observation } from 'fhir/r4.js';
import { eventsTopic, METRICS, type CanonicalEvent, type MetricId } from '@pulsehub/contracts';
import { connectDevice, LiveClient, startTestHub, waitFor, type TestHub } from '@pulsehub/testkit';

const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const q = (value: number, unit: string) => ({ value, unit });
const ev = (user: string, id: string, metric: MetricId, time: CanonicalEvent['time'], values: CanonicalEvent['values']): CanonicalEvent => ({
  id, userId: user, deviceId: `w-${user}`, metric, time, values, source: { adapter: 'pulsehub.v1', receivedAt: 'at' in time ? time.at : time.end },
});
/** Readings with only the components the OMH schemas carry (the round trip compares every value). */
function readings(user: string): CanonicalEvent[] {
  return [
    ...Array.from({ length: 30 }, (_, i) => ev(user, `hr-${i}`, 'heart_rate', { at: at(i) }, { bpm: q(60 + i, '/min') })),
    ev(user, 'st-1', 'steps', { start: at(0), end: at(600) }, { count: q(812, '{steps}') }),
    ev(user, 'bp-1', 'blood_pressure', { at: at(700) }, { systolic: q(121, 'mm[Hg]'), diastolic: q(79, 'mm[Hg]') }),
    ev(user, 'kg-1', 'body_weight', { at: at(800) }, { kg: q(71.5, 'kg') }),
    ev(user, 'sp-1', 'spo2', { at: at(900) }, { percent: q(97, '%') }),
    ev(user, 'tc-1', 'body_temperature', { at: at(1000) }, { celsius: q(36.8, 'Cel') }),
    ev(user, 'sl-1', 'sleep', { start: at(-30_000), end: at(-3000) }, { asleep: q(420, 'min') }),
  ];
}
const comparable = (e: CanonicalEvent) => ({ id: e.id, metric: e.metric, time: e.time, values: e.values });

/** Splits a multipart/mixed body into its parts (filename → body). */
function parts(body: string, contentType: string): Map<string, string> {
  const boundary = /boundary=([^;]+)/.exec(contentType)?.[1];
  expect(boundary).toBeTruthy();
  const out = new Map<string, string>();
  const chunks = body.split(`--${boundary}`);
  expect(chunks.at(-1)).toBe('--\r\n');
  for (const chunk of chunks.slice(1, -1)) {
    const [head, ...rest] = chunk.split('\r\n\r\n');
    const name = /filename="([^"]+)"/.exec(head ?? '')?.[1];
    expect(head).toContain('Content-Type: text/csv');
    out.set(name!, rest.join('\r\n\r\n').replace(/\r\n$/, ''));
  }
  return out;
}

/** The fields FHIR R4 requires (1..1) of a Bundle entry's Observation, and what this export promises on top. */
function observationProblems(o: Observation): string[] {
  const p: string[] = [];
  if (o.resourceType !== 'Observation') p.push('resourceType');
  if (!o.id || !/^[A-Za-z0-9\-.]{1,64}$/.test(o.id)) p.push('id');
  if (!['registered', 'preliminary', 'final', 'amended'].includes(o.status)) p.push('status');
  if (!o.code?.coding?.length || o.code.coding.some((c) => !c.system || !c.code)) p.push('code');
  if (!o.subject?.identifier?.value) p.push('subject');
  if (!o.effectiveDateTime && !(o.effectivePeriod?.start && o.effectivePeriod.end)) p.push('effective[x]');
  const quantities = o.valueQuantity ? [o.valueQuantity] : (o.component ?? []).map((c) => c.valueQuantity);
  if (quantities.length === 0) p.push('value[x] or component');
  for (const c of o.component ?? []) if (!c.code?.coding?.length) p.push('component.code');
  for (const v of quantities) if (typeof v?.value !== 'number' || v.system !== 'http://unitsofmeasure.org' || !v.code) p.push('UCUM quantity');
  return p;
}

describe.each(['postgres', 'pglite'] as const)('export and erasure on %s', (kind) => {
  let t: TestHub;
  let admin: string;
  let ana: string;
  let coach: string;
  const get = (path: string, token: string) => fetch(`${t.hub.http.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    t = await startTestHub(kind);
    for (const u of ['ana', 'ben', 'ana-copy']) await t.hub.store.users.upsert({ id: u, name: u });
    await t.hub.store.devices.upsert({ id: 'w-ana', userId: 'ana', kind: 'watch' });
    await t.hub.store.observations.commitBatch({ events: readings('ana') });
    await t.hub.store.observations.commitBatch({ events: readings('ben') });
    admin = await t.hub.mint({ subject: 'root', kind: 'admin', ttlSeconds: 600 });
    ana = await t.hub.mint({ subject: 'ana', kind: 'athlete', users: ['ana'], ttlSeconds: 600 });
    coach = await t.hub.mint({ subject: 'coach-c', kind: 'coach', ttlSeconds: 600 });
    await t.hub.store.consents.grant('ana', 'coach-c');
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it('exports only to the athlete or an admin (not a consented coach, not another athlete)', async () => {
    expect((await get('/api/users/ana/export?format=csv', coach)).status).toBe(403);
    const ben = await t.hub.mint({ subject: 'ben', kind: 'athlete', users: ['ben'], ttlSeconds: 600 });
    expect((await get('/api/users/ana/export?format=csv', ben)).status).toBe(403);
    expect((await fetch(`${t.hub.http.url}/api/users/ana/export?format=csv`)).status).toBe(401);
    expect((await get('/api/users/ana/export?format=xml', ana)).status).toBe(400);
    expect((await get('/api/users/ana/export?format=fhir', admin)).status).toBe(200);
  });

  it('CSV: one file per metric in a multipart/mixed stream, units in the header, ISO instants, from/to honoured', async () => {
    const res = await get(`/api/users/ana/export?format=csv&from=${at(-1)}&to=${at(3600)}`, ana);
    expect(res.status).toBe(200);
    const files = parts(await res.text(), res.headers.get('content-type')!);
    // sleep ended before `from`: left out.
    expect([...files.keys()].sort()).toEqual(['blood_pressure.csv', 'body_temperature.csv', 'body_weight.csv', 'heart_rate.csv', 'spo2.csv', 'steps.csv']);
    const hr = files.get('heart_rate.csv')!.trimEnd().split('\r\n');
    expect(hr[0]).toBe('id,start,end,device_id,adapter,received_at,bpm [/min],energy_expended [kJ],rr [ms]');
    expect(hr).toHaveLength(31);
    expect(hr[1]).toBe(`hr-0,${at(0)},${at(0)},w-ana,pulsehub.v1,${at(0)},60,,`);
    const bp = files.get('blood_pressure.csv')!.split('\r\n');
    expect(bp[0]).toContain('systolic [mm[Hg]],diastolic [mm[Hg]]');
    expect(bp[1]).toContain(',121,79,');
    expect(files.get('steps.csv')!.split('\r\n')[1]).toBe(`st-1,${at(0)},${at(600)},w-ana,pulsehub.v1,${at(600)},812`);
  });

  it('Open mHealth: export → import through the omh.v1 adapter (MQTT, ingest) → identical rows', async () => {
    const res = await get('/api/users/ana/export?format=omh', ana);
    expect(res.status).toBe(200);
    const { data_points: points } = (await res.json()) as { data_points: { header: { schema_id: { namespace: string; name: string; version: string } } }[] };
    expect(points).toHaveLength(readings('ana').length);
    expect(points.map((p) => `${p.header.schema_id.namespace}:${p.header.schema_id.name}:${p.header.schema_id.version}`)).toContain('omh:heart-rate:2.0');
    await t.hub.store.devices.upsert({ id: 'omh-import', userId: 'ana-copy', kind: 'app', adapter: 'omh.v1' });
    const device = await connectDevice(t.hub, 'omh-import', await t.hub.mint({ subject: 'omh-import', kind: 'device', users: ['ana-copy'] }));
    try {
      await device.publishAsync(eventsTopic('ana-copy'), JSON.stringify({ format: 'omh.v1', data_points: points }), { qos: 1 });
      await waitFor(async () => (await t.hub.store.observations.count({ userId: 'ana-copy' })) === points.length, { timeout: 15_000, what: 'the re-imported readings' });
    } finally {
      await device.endAsync();
    }
    const all = async (user: string) => {
      const out: CanonicalEvent[] = [];
      for (const m of await t.hub.store.export.metrics({ userId: user, from: new Date(0), to: new Date(T0 + 86_400_000) })) {
        for await (const page of t.hub.store.export.pages({ userId: user, metric: m, from: new Date(0), to: new Date(T0 + 86_400_000), pageSize: 7 })) out.push(...page);
      }
      return out.map(comparable);
    };
    const original = await all('ana');
    expect(original).toHaveLength(readings('ana').length);
    expect(await all('ana-copy')).toEqual(original);
  });

  it('FHIR R4: a collection Bundle of Observations with LOINC codes and UCUM units; blood pressure is one Observation with two components', async () => {
    const res = await get('/api/users/ana/export?format=fhir', ana);
    expect(res.headers.get('content-type')).toContain('application/fhir+json');
    const bundle = (await res.json()) as Bundle;
    expect(bundle.resourceType).toBe('Bundle');
    expect(bundle.type).toBe('collection');
    expect(bundle.entry).toHaveLength(readings('ana').length);
    const observations = bundle.entry!.map((e) => e.resource as Observation);
    for (const o of observations) expect(observationProblems(o), JSON.stringify(o)).toEqual([]);
    for (const e of bundle.entry!) expect(e.fullUrl).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    const bps = observations.filter((o) => o.code.coding?.some((c) => c.code === METRICS.blood_pressure.loinc && c.system === 'http://loinc.org'));
    expect(bps).toHaveLength(1);
    expect(bps[0]!.valueQuantity).toBeUndefined();
    expect(bps[0]!.component?.map((c) => [c.code.coding?.[0]?.code, c.valueQuantity?.value, c.valueQuantity?.code])).toEqual([['8480-6', 121, 'mm[Hg]'], ['8462-4', 79, 'mm[Hg]']]);
    const hr = observations.find((o) => o.code.coding?.[0]?.code === '8867-4')!;
    expect(hr.valueQuantity).toMatchObject({ code: '/min', system: 'http://unitsofmeasure.org' });
    const sleep = observations.find((o) => o.code.coding?.[0]?.code === METRICS.sleep.loinc)!;
    expect(sleep.effectivePeriod).toEqual({ start: at(-30_000), end: at(-3000) });
  });

  it('erasure: an athlete needs a confirmation token; then every row goes, the token is revoked and the live stream is cut', async () => {
    const live = await LiveClient.open(t.hub, ana);
    await live.next('ready');
    const refused = await fetch(`${t.hub.http.url}/api/users/ana`, { method: 'DELETE', headers: { authorization: `Bearer ${ana}` } });
    expect(refused.status).toBe(428);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('PH_WEB_CONFIRMATION_REQUIRED');
    const other = await t.hub.mint({ subject: 'ben', kind: 'athlete', users: ['ben'], ttlSeconds: 600 });
    expect((await fetch(`${t.hub.http.url}/api/users/ana/erasure-confirmation`, { method: 'POST', headers: { authorization: `Bearer ${other}` } })).status).toBe(403);
    const benConfirm = (await (await fetch(`${t.hub.http.url}/api/users/ben/erasure-confirmation`, { method: 'POST', headers: { authorization: `Bearer ${other}` } })).json()) as { token: string };
    // Ben's confirmation does not erase Ana, and it opens nothing: it acts for no user.
    expect((await fetch(`${t.hub.http.url}/api/users/ana`, { method: 'DELETE', headers: { authorization: `Bearer ${ana}`, 'x-erasure-confirmation': benConfirm.token } })).status).toBe(428);
    expect((await get('/api/users/ben/export?format=csv', benConfirm.token)).status).toBe(403);
    const c = await fetch(`${t.hub.http.url}/api/users/ana/erasure-confirmation`, { method: 'POST', headers: { authorization: `Bearer ${ana}` } });
    expect(c.status).toBe(201);
    const { token } = (await c.json()) as { token: string };
    const del = await fetch(`${t.hub.http.url}/api/users/ana`, { method: 'DELETE', headers: { authorization: `Bearer ${ana}`, 'x-erasure-confirmation': token } });
    expect(del.status).toBe(200);
    const body = (await del.json()) as { erased: boolean; counts: Record<string, number> };
    expect(body.erased).toBe(true);
    expect(body.counts.observations).toBe(readings('ana').length);
    expect(JSON.stringify(body)).not.toMatch(/bpm|systolic/);
    expect((await live.closed).code).toBe(4401);
    // Her session token was revoked by the erasure: refused now, as it will be after a restart.
    expect((await get('/api/users/ana/export?format=csv', ana)).status).toBe(401);
    expect(await t.hub.store.observations.count({ userId: 'ana' })).toBe(0);
    expect(await t.hub.store.users.get('ana')).toBeUndefined();
    expect(await t.hub.store.observations.count({ userId: 'ben' })).toBe(readings('ben').length);
    expect(await t.hub.store.consents.athletesFor('coach-c')).toEqual([]);
    expect((await get('/api/users/ana/export?format=csv', admin)).status).toBe(404);
    // An admin erases anyone without a confirmation; a second time there is nothing left.
    expect((await fetch(`${t.hub.http.url}/api/users/ben`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
    expect((await fetch(`${t.hub.http.url}/api/users/ben`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } })).status).toBe(404);
    expect((await fetch(`${t.hub.http.url}/api/users/ben`, { method: 'DELETE', headers: { authorization: `Bearer ${coach}` } })).status).toBe(403);
  });
});
