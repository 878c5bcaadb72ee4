import { describe, expect, it } from 'vitest';
import { attributeWeighIn, type Candidate, type WeighInSample } from '../src/attribution/shared-scale.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 2, 2, 7);
const at = (days: number) => T0 + days * DAY;
const w = (days: number, kg: number, impedanceOhm?: number): WeighInSample => ({ at: at(days), kg, ...(impedanceOhm === undefined ? {} : { impedanceOhm }) });

/** A person who weighed `kg` every `every` days for the last `count` weigh-ins before day 0. */
const steady = (userId: string, kg: number, o: { every?: number; count?: number; impedance?: number; lastDay?: number } = {}): Candidate => ({
  userId,
  recent: Array.from({ length: o.count ?? 5 }, (_, i) => w((o.lastDay ?? 0) - i * (o.every ?? 3), kg, o.impedance)),
});

describe('shared scale attribution', () => {
  const ana = steady('ana', 70.0, { lastDay: -1 });
  const ben = steady('ben', 73.0, { lastDay: -1 });

  it('two users 3 kg apart: each weigh-in goes to the nearer one', () => {
    expect(attributeWeighIn(w(0, 70.4), [ana, ben])).toMatchObject({ kind: 'assigned', userId: 'ana' });
    expect(attributeWeighIn(w(0, 72.6), [ana, ben])).toMatchObject({ kind: 'assigned', userId: 'ben' });
    expect(attributeWeighIn(w(0, 69.2), [ana, ben])).toMatchObject({ kind: 'assigned', userId: 'ana' });
  });

  it('the middle between them is nobody’s fact: pending', () => {
    // 71.5 is 1.5 kg from both: outside the 1.2 kg tolerance of each a day after their last weigh-in
    expect(attributeWeighIn(w(0, 71.5), [ana, ben])).toMatchObject({ kind: 'pending', reason: 'unknown' });
    // a month without weighing widens both tolerances: now both could be it
    const away = [steady('ana', 70, { lastDay: -30 }), steady('ben', 73, { lastDay: -30 })];
    expect(attributeWeighIn(w(0, 71.5), away)).toMatchObject({ kind: 'pending', reason: 'ambiguous' });
  });

  it('two people of about the same weight: ambiguous — unless the impedance tells them apart', () => {
    const cleo = steady('cleo', 70.5, { lastDay: -1, impedance: 430 });
    const dan = steady('dan', 70.2, { lastDay: -1, impedance: 560 });
    expect(attributeWeighIn(w(0, 70.3), [cleo, dan])).toMatchObject({ kind: 'pending', reason: 'ambiguous' });
    expect(attributeWeighIn(w(0, 70.3, 442), [cleo, dan])).toMatchObject({ kind: 'assigned', userId: 'cleo' });
    expect(attributeWeighIn(w(0, 70.3, 548), [cleo, dan])).toMatchObject({ kind: 'assigned', userId: 'dan' });
    // an impedance far from both: neither is it
    expect(attributeWeighIn(w(0, 70.3, 700), [cleo, dan])).toMatchObject({ kind: 'pending', reason: 'unknown' });
  });

  it('a guest (a weight nobody in the family has) is pending, not given to the nearest', () => {
    const r = attributeWeighIn(w(0, 92.3), [ana, ben]);
    expect(r).toMatchObject({ kind: 'pending', reason: 'unknown' });
    expect(r.scores.map((s) => s.userId)).toEqual(['ben', 'ana']); // nearest first, for the person who assigns it
  });

  it('someone without any history is never attributed automatically', () => {
    expect(attributeWeighIn(w(0, 70), [{ userId: 'eve', recent: [] }])).toMatchObject({ kind: 'pending', reason: 'unknown', scores: [] });
    // history older than 180 days does not count
    expect(attributeWeighIn(w(0, 70), [steady('eve', 70, { lastDay: -200 })])).toMatchObject({ kind: 'pending', reason: 'unknown' });
  });

  it('drift over weeks: weekly weigh-ins follow a steady loss until two people really weigh the same', () => {
    // fay loses 0.5 kg a week from 80 kg, weighing weekly; gus stays at 73 kg
    const fay: WeighInSample[] = [];
    const gus = steady('gus', 73, { every: 7, count: 20, lastDay: -1 });
    for (let week = 0; week < 12; week++) {
      const reading = w(-90 + week * 7, 80 - 0.5 * week);
      const r = attributeWeighIn(reading, [{ userId: 'fay', recent: fay }, gus]);
      if (week > 0) expect(r, `week ${week}: ${reading.kg} kg`).toMatchObject({ kind: 'assigned', userId: 'fay' });
      fay.push(reading); // what the hub stores once attributed (the first one assigned by a person)
    }
    // fay reaches gus's weight: from here a weigh-in is ambiguous, not a guess
    expect(attributeWeighIn(w(-90 + 14 * 7, 73), [{ userId: 'fay', recent: fay }, gus])).toMatchObject({ kind: 'pending', reason: 'ambiguous' });
  });

  it('drift over weeks: the trend carries a loss through weeks without weighing', () => {
    // kai loses 1 kg a week from 85 kg for five weeks, then does not weigh for three weeks
    const kai = Array.from({ length: 6 }, (_, i) => w(-56 + i * 7, 85 - i));
    const lea = steady('lea', 66, { lastDay: -1 });
    expect(attributeWeighIn(w(0, 77), [{ userId: 'kai', recent: kai }, lea])).toMatchObject({ kind: 'assigned', userId: 'kai' });
    // without the trend (one weigh-in at 80 kg) 77 kg is 3 kg off after three weeks: not recognised
    expect(attributeWeighIn(w(0, 77), [{ userId: 'kai', recent: kai.slice(-1) }, lea])).toMatchObject({ kind: 'pending', reason: 'unknown' });
  });

  it('drift without weighing: six weeks away and 2.5 kg lighter is still recognised', () => {
    const hal = steady('hal', 80, { lastDay: -42 });
    const ida = steady('ida', 62, { lastDay: -1 });
    expect(attributeWeighIn(w(0, 77.5), [hal, ida])).toMatchObject({ kind: 'assigned', userId: 'hal' });
    // but the tolerance stops growing (4 kg): 10 kg lighter is not hal any more
    expect(attributeWeighIn(w(0, 70), [steady('hal', 80, { lastDay: -170 }), ida])).toMatchObject({ kind: 'pending', reason: 'unknown' });
  });

  it('a future weigh-in in the history (clock skew) is ignored rather than trusted', () => {
    const r = attributeWeighIn(w(0, 70), [{ userId: 'jo', recent: [w(1, 70)] }]);
    expect(r).toMatchObject({ kind: 'pending', reason: 'unknown' });
  });
});
