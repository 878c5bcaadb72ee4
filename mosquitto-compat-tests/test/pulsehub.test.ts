import { describeTarget } from '../src/suite.js';
import { startPulseHub } from '../src/targets.js';

describeTarget('pulsehub', startPulseHub);
