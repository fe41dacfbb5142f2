import { registerRoutes } from './routes';

export function start(port = 8080) {
  const routes: Record<string, (req: unknown) => unknown> = {};
  registerRoutes({ get: (p, h) => { routes[p] = h; } });
  console.log(`listening on ${port}`);
  return routes;
}
