/**
 * Guided breathing and meditation. A pattern is a list of phases (seconds each) the circle
 * follows: it grows on "in", holds, shrinks on "out". Resonant breathing at 5.5 breaths/min is
 * 60 / 5.5 ≈ 10.9 s a breath, in and out alike.
 */
export interface Phase {
  readonly label: 'Breathe in' | 'Hold' | 'Breathe out';
  readonly seconds: number;
  /** Circle scale at the end of the phase. */
  readonly scale: number;
}

const HALF_RESONANT = 60 / 5.5 / 2;

export const PATTERNS: Readonly<Record<string, { name: string; phases: readonly Phase[] }>> = {
  box: { name: 'Box 4-4-4-4', phases: [{ label: 'Breathe in', seconds: 4, scale: 1 }, { label: 'Hold', seconds: 4, scale: 1 }, { label: 'Breathe out', seconds: 4, scale: 0.45 }, { label: 'Hold', seconds: 4, scale: 0.45 }] },
  '478': { name: '4-7-8', phases: [{ label: 'Breathe in', seconds: 4, scale: 1 }, { label: 'Hold', seconds: 7, scale: 1 }, { label: 'Breathe out', seconds: 8, scale: 0.45 }] },
  resonant: { name: 'Resonant 5.5/min', phases: [{ label: 'Breathe in', seconds: HALF_RESONANT, scale: 1 }, { label: 'Breathe out', seconds: HALF_RESONANT, scale: 0.45 }] },
};

/** Seconds of one breath of a pattern. */
export function cycleSeconds(pattern: keyof typeof PATTERNS): number {
  return (PATTERNS[pattern]?.phases ?? []).reduce((s, p) => s + p.seconds, 0);
}

/** Runs the circle through the pattern until stopped. */
export class Breather {
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly circle: HTMLElement, private readonly label: HTMLElement) {}

  start(phases: readonly Phase[]): void {
    let i = 0;
    const step = () => {
      const p = phases[i % phases.length]!;
      this.label.textContent = p.label;
      this.circle.style.transitionDuration = `${p.seconds}s`;
      this.circle.style.transform = `scale(${p.scale})`;
      i++;
      this.timer = setTimeout(step, p.seconds * 1000);
    };
    step();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.circle.style.transitionDuration = '0.6s';
    this.circle.style.transform = 'scale(0.6)';
    this.label.textContent = '';
  }
}
