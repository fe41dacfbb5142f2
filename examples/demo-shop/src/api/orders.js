const db = require('../db/client');
const { money } = require('../utils/format');

async function listOrders(userId, search) {
  // FIXME: search is concatenated into SQL
  return db.query(`SELECT * FROM orders WHERE user_id = ${userId} AND note LIKE '%${search}%'`);
}

async function createOrder(userId, input) {
  const total = input.items.reduce((sum, i) => sum + i.price * i.qty, 0);
  await db.query('INSERT INTO orders (user_id, total) VALUES ($1, $2)', [userId, total]);
  return { total: money(total) };
}

module.exports = { listOrders, createOrder };
