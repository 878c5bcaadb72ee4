export * from './steps.js';
export * from './zones.js';
export * from './resting.js';
export * from './calories.js';
