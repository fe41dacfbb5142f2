export const migrations = ['create table users (id text primary key, name text)'];

export function migrate(run: (sql: string) => void) {
  for (const m of migrations) run(m);
}
