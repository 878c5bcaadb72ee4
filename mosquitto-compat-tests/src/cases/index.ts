import type { Case } from '../harness.js';
import { connectCases } from './connect.js';
import { sessionCases } from './session.js';
import { qosCases } from './qos.js';
import { retainedCases } from './retained.js';
import { topicCases } from './topics.js';
import { willCases } from './will.js';
import { malformedCases } from './malformed.js';
import { sharedCases } from './shared.js';

export const ALL_CASES: readonly Case[] = Object.freeze([
  ...connectCases,
  ...sessionCases,
  ...qosCases,
  ...retainedCases,
  ...topicCases,
  ...willCases,
  ...malformedCases,
  ...sharedCases,
]);
