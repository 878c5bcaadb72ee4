export { createWebApp, PUBLIC_DIR, type WebApp, type WebOptions } from './app.js';
export { LiveHub, type LiveViewer } from './live/hub.js';
export { visibleAthletes, listableAthletes } from './access.js';
export type { ReplayDeadLetters } from './routes/deadletters.js';
export type { ManualIntake, ManualOutcome } from './routes/manual.js';
