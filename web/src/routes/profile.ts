import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ProfileResponse, PulseHubError } from '@pulsehub/contracts';
import type { TokenService } from '@pulsehub/auth';
import type { Store } from '@pulsehub/store';
import { requirePrincipal } from './auth.js';
import { recordAudit } from '../audit.js';
import type { LiveHub } from '../live/hub.js';
import { answer } from './answer.js';

/**
 * The athlete's training profile: FTP (Functional Threshold Power, for cycling power zones
 * on /live). The athlete sets their own, or an admin; `null` clears it.
 */
export interface ProfileRouteDeps {
  store: Store;
  tokens: TokenService;
  hub: LiveHub;
}

export const FTP_MIN_W = 50;
export const FTP_MAX_W = 700;
const ProfileBody = z.object({
  ftpWatts: z.number().int().min(FTP_MIN_W, { error: `FTP is at least ${FTP_MIN_W} W` }).max(FTP_MAX_W, { error: `FTP is at most ${FTP_MAX_W} W` }).nullable(),
}).strict();

export function registerProfile(app: FastifyInstance, d: ProfileRouteDeps): void {
  const own = async (req: Parameters<typeof requirePrincipal>[0], id: string) => {
    const p = await requirePrincipal(req, d.tokens, ['admin', 'athlete']);
    if (p.kind === 'athlete' && !p.users.includes(id)) throw new PulseHubError('PH_AUTH_FORBIDDEN', 'athletes change their own profile only');
    return p;
  };

  app.get<{ Params: { id: string } }>('/api/users/:id/profile', async (req) => {
    await own(req, req.params.id);
    const user = await d.store.users.get(req.params.id);
    if (!user) throw new PulseHubError('PH_STORE_NOT_FOUND', `no user ${req.params.id}`);
    return answer(ProfileResponse, { profile: user });
  });

  app.patch<{ Params: { id: string } }>('/api/users/:id/profile', async (req) => {
    const p = await own(req, req.params.id);
    const r = ProfileBody.safeParse(req.body);
    if (!r.success) throw new PulseHubError('PH_WEB_BAD_REQUEST', z.prettifyError(r.error));
    if (!(await d.store.users.setFtp(req.params.id, r.data.ftpWatts))) throw new PulseHubError('PH_STORE_NOT_FOUND', `no user ${req.params.id}`);
    d.hub.forgetProfile(req.params.id);
    await recordAudit(d.store, p, 'user.ftp', req.params.id, r.data, req.log);
    return { profile: await d.store.users.get(req.params.id) };
  });
}
