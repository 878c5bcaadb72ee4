import { describeTarget } from '../src/suite.js';
import { startMosquitto } from '../src/targets.js';

// A private Mosquitto on an ephemeral port with a generated config equivalent to PulseHub's test policy.
describeTarget('mosquitto', startMosquitto);
