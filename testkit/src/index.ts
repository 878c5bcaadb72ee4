// @pulsehub/testkit: what tests and benchmarks share (never imported by a package's src).
export { waitFor, type WaitOptions } from './wait.js';
export { LiveClient } from './live-client.js';
export { startTestHub, connectDevice, type TestHub } from './hub.js';
export { startTestBroker, type TestBroker } from './broker.js';
export { makeTestCerts, type TestCerts, type CertPair } from './certs.js';
export { launchChromium, ensurePagesBuilt, CHROMIUM } from './chromium.js';
export { startTestWeb, type TestWeb } from './web.js';
export { PrivatePostgres, PrivateRedis, PrivateMosquitto } from './private-services.js';
