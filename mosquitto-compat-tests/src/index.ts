export { ALL_CASES } from './cases/index.js';
export { describeTarget, loadExpectations } from './suite.js';
export { runExpected, withContext, type Case, type CaseContext, type Expectation, type ExpectationFile } from './harness.js';
export { RawClient } from './raw-client.js';
export { startMosquitto, startPulseHub, mosquittoConfig, MOSQUITTO_ACL, TEST_POLICY } from './targets.js';
export { DENIED_TOPIC, type Target } from './target.js';
