const SESSION_SECRET = process.env.SESSION_SECRET ?? 'dev-secret'; // FIXME: no default secret in production

export function requireSession(req: { headers?: Record<string, string> }) {
  const token = req.headers?.authorization;
  if (!token) throw new Error('unauthorised');
  return token === `Bearer ${SESSION_SECRET}`;
}
