import { describe, expect, it } from 'vitest';
import type { Principal } from '@pulsehub/contracts';
import { compileAccess, DEFAULT_RULES, validateRules } from '@pulsehub/broker';

// The compiled rules are shared per kind and placeholders resolved per client at match time;
// these pin the decisions the per-client expansion used to make.
const device = (subject: string, users: string[]): Principal => ({ subject, kind: 'device', users, jti: `j-${subject}` });

describe('compiled topic rules', () => {
  it('a device publishes only to its own users and subscribes under them; $SYS and live stay closed', () => {
    const a = compileAccess(device('w1', ['ana', 'bo']), { allowAnonymous: false, clientId: 'w1' });
    expect(a.canPublish('users/ana/events')).toBe(true);
    expect(a.canPublish('users/bo/events')).toBe(true);
    expect(a.canPublish('users/cy/events')).toBe(false);
    expect(a.canPublish('users/ana/events/x')).toBe(false);
    expect(a.canPublish('users/ana')).toBe(false);
    expect(a.canPublish('live/users/ana')).toBe(false);
    expect(a.canSubscribe('users/ana/#')).toBe(true);
    expect(a.canSubscribe('users/+/#')).toBe(false);
    expect(a.canSubscribe('#')).toBe(false);
    expect(a.canSubscribe('$SYS/#')).toBe(false);
    expect(a.canReceive?.('users/bo/events/w9')).toBe(true);
    expect(a.canReceive?.('users/cy/events/w9')).toBe(false);
    // Two devices of different users share the compiled rules, not their answers.
    const b = compileAccess(device('w2', ['cy']), { allowAnonymous: false, clientId: 'w2' });
    expect(b.canPublish('users/cy/events')).toBe(true);
    expect(b.canPublish('users/ana/events')).toBe(false);
    expect(a.canPublish('users/cy/events')).toBe(false);
  });

  it('a placeholder matches its value literally: a client id of "#" is not a wildcard', () => {
    const rules = validateRules([{ effect: 'allow', action: 'all', topic: 'clients/%c/#' }]);
    const a = compileAccess(device('w3', []), { allowAnonymous: false, rules, clientId: '#' });
    expect(a.canPublish('clients/#/x')).toBe(true);
    expect(a.canPublish('clients/other/x')).toBe(false);
    expect(a.canSubscribe('clients/+/x')).toBe(false);
  });

  it('every %u level of one rule names the same user', () => {
    const rules = validateRules([{ effect: 'allow', action: 'all', topic: 'pair/%u/%u' }]);
    const a = compileAccess(device('w4', ['ana', 'bo']), { allowAnonymous: false, rules, clientId: 'w4' });
    expect(a.canPublish('pair/ana/ana')).toBe(true);
    expect(a.canPublish('pair/ana/bo')).toBe(false);
    expect(a.canSubscribe('pair/bo/bo')).toBe(true);
    expect(a.canSubscribe('pair/ana/bo')).toBe(false);
  });

  it('a rule needing users or a subject does not apply to a principal without them', () => {
    const rules = validateRules([
      { effect: 'deny', action: 'all', topic: 'x/%u' },
      { effect: 'allow', action: 'all', topic: '#' },
    ]);
    const anon = compileAccess(null, { allowAnonymous: true, rules, clientId: 'lab' });
    expect(anon.canPublish('x/anyone')).toBe(true);
    const someone = compileAccess(device('w5', ['anyone']), { allowAnonymous: false, rules, clientId: 'w5' });
    expect(someone.canPublish('x/anyone')).toBe(false);
  });

  it('partialDeny "refuse" answers 0x80 to any overlap; "filter" grants it and drops the denied topics at delivery', () => {
    const rules = validateRules([{ effect: 'deny', action: 'subscribe', topic: 'test/nosubscribe' }, ...DEFAULT_RULES]);
    const refuse = compileAccess(null, { allowAnonymous: true, rules, clientId: 'a' });
    expect(refuse.canSubscribe('#')).toBe(false);
    expect(refuse.canSubscribe('test/+')).toBe(false);
    expect(refuse.canSubscribe('test/other')).toBe(true);
    const filter = compileAccess(null, { allowAnonymous: true, rules, clientId: 'b', partialDeny: 'filter' });
    expect(filter.canSubscribe('#')).toBe(true);
    expect(filter.canSubscribe('test/+')).toBe(true);
    expect(filter.canSubscribe('+/+')).toBe(true);
    // Wholly inside the denied filter: still refused (Paho interop expects 0x80 here).
    expect(filter.canSubscribe('test/nosubscribe')).toBe(false);
    expect(filter.canReceive?.('test/nosubscribe')).toBe(false);
    expect(filter.canReceive?.('test/other')).toBe(true);
    // $SYS stays denied either way: `#` never reaches `$` topics [MQTT-4.7.2-1].
    expect(filter.canSubscribe('$SYS/#')).toBe(false);
    expect(filter.canReceive?.('$SYS/x')).toBe(false);
  });
});
