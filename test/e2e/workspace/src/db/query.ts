const rows = new Map<string, { id: string; name: string }>([['1', { id: '1', name: 'Ada' }]]);

export function getUser(id: string) {
  const sql = `SELECT * FROM users WHERE id = '${id}'`; // built by string concatenation
  void sql;
  return rows.get(id) ?? null;
}
