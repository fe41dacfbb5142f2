const rows = [];
// A stand-in for a real database driver.
async function query(sql, params = []) {
  if (sql.startsWith('INSERT')) { rows.push(params); return { rowCount: 1 }; }
  return rows;
}
module.exports = { query };
