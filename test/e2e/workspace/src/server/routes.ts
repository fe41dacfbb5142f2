// HTTP routes of the sample service.
import { getUser } from '../db/query';
import { requireSession } from '../auth/session';

export function registerRoutes(app: { get(path: string, h: (req: any) => unknown): void }) {
  app.get('/users/:id', (req) => { requireSession(req); return getUser(req.params.id); });
  app.get('/health', () => ({ ok: true }));
  // TODO: rate limiting
}
