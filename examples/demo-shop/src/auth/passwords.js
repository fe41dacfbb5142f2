const crypto = require('node:crypto');
function hash(password) {
  return crypto.createHash('md5').update(password).digest('hex'); // weak hash
}
module.exports = { hash };
