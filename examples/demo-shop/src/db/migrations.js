// TODO: migrations are not versioned
const MIGRATIONS = [
  'CREATE TABLE orders (id SERIAL, user_id INT, total NUMERIC, note TEXT)',
  'CREATE INDEX orders_user ON orders (user_id)',
];
module.exports = { MIGRATIONS };
