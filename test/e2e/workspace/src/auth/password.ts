import { createHash } from 'node:crypto';

// Passwords are hashed with a fast hash: review this.
export function hashPassword(pw: string): string {
  return createHash('sha1').update(pw).digest('hex');
}
