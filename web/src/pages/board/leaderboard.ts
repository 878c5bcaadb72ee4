// The leaderboard strip during a class: effort points, then calories (see lib/leaderboard.ts for ties).
import { rankLeaders } from '../lib/leaderboard.js';
import { $, fromTemplate } from './dom.js';
import type { BoardState } from './state.js';

export function renderLeaderboard(board: BoardState): void {
  board.leadersDirty = false;
  const ranked = rankLeaders([...board.tiles.values()].map((t) => ({ id: t.id, name: t.name, effortPoints: t.tally?.effortPoints ?? 0, kcal: t.tally?.kcal ?? 0, effortSince: t.tally?.effortSince ?? null })));
  const items = ranked.map((e, i) => {
    const li = fromTemplate('leader-template');
    li.dataset.leader = e.id;
    li.querySelector('.rank')!.textContent = String(i + 1);
    li.querySelector('.lname')!.textContent = e.name;
    li.querySelector('.lep')!.textContent = `${Math.round(e.effortPoints)} pts`;
    li.querySelector('.lkcal')!.textContent = `${Math.round(e.kcal)} kcal`;
    li.dataset.ep = String(e.effortPoints);
    li.dataset.kcal = String(e.kcal);
    return li;
  });
  $('#leaders').replaceChildren(...items);
}
