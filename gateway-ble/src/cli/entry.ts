import { cli } from './main.js';

await cli();
